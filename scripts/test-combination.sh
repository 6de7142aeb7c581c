#!/usr/bin/env bash
# Run the pytest suite on one Python x Django x Wagtail combination, installed from
# scratch the way a user installs the package (not editable):
#
#   scripts/test-combination.sh VENV PYTHON DJANGO_SPEC WAGTAIL_SPEC [pytest args...]
#   scripts/test-combination.sh .venv-newest python3.13 'Django>=6.1,<6.2' 'wagtail>=8.0,<8.1'
#
# `make test-newest` and `make test-oldest` call it. The virtualenv is deleted and
# created again each time, so a stale environment cannot hide a resolution problem.
# Where pyenv manages the interpreters, PYENV_VERSION makes python3.11/3.12/3.13 visible.
set -euo pipefail

if [ $# -lt 4 ]; then
	echo "usage: $0 VENV PYTHON DJANGO_SPEC WAGTAIL_SPEC [pytest args...]" >&2
	exit 2
fi
venv=$1 python=$2 django_spec=$3 wagtail_spec=$4
shift 4

cd "$(dirname "$0")/.."

if command -v pyenv >/dev/null 2>&1; then
	export PYENV_VERSION=3.11.7:3.12.1:3.13.0
fi
if ! command -v "$python" >/dev/null 2>&1 || ! "$python" -c 'import sys' >/dev/null 2>&1; then
	echo "error: $python is not available, so the combination $django_spec + $wagtail_spec" >&2
	echo "cannot be tested. Install it (e.g. 'pyenv install ${python#python}' and set" >&2
	echo "PYENV_VERSION), or pass another interpreter in the Makefile's *_PYTHON variable." >&2
	exit 1
fi

start=$(date +%s)
rm -rf "$venv"
"$python" -m venv "$venv"
# pip's output (and the build backend's warnings) go to a log, shown if pip fails.
pip_log="$venv/pip.log"
pip() {
	"$venv/bin/python" -m pip "$@" >>"$pip_log" 2>&1 || {
		cat "$pip_log" >&2
		echo "error: pip $* failed" >&2
		exit 1
	}
}
pip install --upgrade pip
# setuptools builds from the checkout through build/ and never deletes from it: a module
# or migration removed since an earlier build would still be in the wheel.
rm -rf build
# One resolution for everything, as `pip install -r requirements.txt wagtail-securelink`
# does in a user's project: an impossible combination fails here, loudly.
pip install ".[testing]" "$django_spec" "$wagtail_spec"
"$venv/bin/python" - <<'EOF'
import sys

import django
import wagtail

print(
    "--- Python %s, Django %s, Wagtail %s"
    % (sys.version.split()[0], django.get_version(), wagtail.__version__)
)
EOF
installed=$(date +%s)
echo "--- installed in $((installed - start)) s"

# The tests import the checkout (pytest's rootdir is on sys.path); the installed
# distribution decides which Django and Wagtail they run against.
status=0
"$venv/bin/python" -m pytest -p no:cacheprovider "$@" || status=$?
echo "--- pytest finished in $(($(date +%s) - installed)) s (exit $status)"
exit $status
