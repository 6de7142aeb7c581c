#!/usr/bin/env bash
# Install what the browser tests (make test-e2e) need, when it is missing:
#   - Chromium from Debian's packages (Playwright's own browser download is not used);
#   - Playwright for Python, into the virtualenv given as $1 (default .venv);
#   - axe-core from the npm registry, into tests/e2e/node_modules.
# Safe to run again: each step is skipped when its result is already there.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV="${1:-.venv}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$CHROMIUM" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "Chromium is missing: run, as root, apt-get update && apt-get install -y chromium" >&2
        exit 2
    fi
    echo "--- installing Chromium from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        chromium fonts-dejavu-core >/dev/null
fi
"$CHROMIUM" --version 2>/dev/null

if ! "$VENV/bin/python" -c 'import playwright' 2>/dev/null; then
    echo "--- installing Playwright for Python into $VENV"
    "$VENV/bin/python" -m pip install --quiet -e '.[testing,e2e]'
fi
"$VENV/bin/python" -c 'from importlib.metadata import version; print("playwright", version("playwright"))'

if [ ! -f tests/e2e/node_modules/axe-core/axe.min.js ]; then
    command -v npm >/dev/null || {
        echo "npm is missing: apt-get install -y npm (axe-core comes from the npm registry)" >&2
        exit 2
    }
    echo "--- installing axe-core into tests/e2e/node_modules"
    (cd tests/e2e && npm install --silent --no-audit --no-fund --no-package-lock)
fi
node -e 'console.log("axe-core", require("./tests/e2e/node_modules/axe-core/package.json").version)'
