#!/usr/bin/env bash
# nginx for the shipped proxy configuration (deploy/nginx/securelink.conf):
#
#   scripts/nginx.sh install   install nginx-light and openssl from Debian when missing
#   scripts/nginx.sh check     install when missing, then `nginx -t` on the shipped file
#                              (tests/scaleout/nginx.py fills in ports, paths and a
#                              throw-away certificate)
#
# The X-Accel-Redirect tests (tests/scaleout/test_nginx.py) start a private nginx of
# their own on 127.0.0.1; `scripts/services.sh` installs nginx with PostgreSQL and Redis.
set -euo pipefail

cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "nginx.sh: need root to run: $*" >&2; return 1
    fi
}

install_missing() {
    local wanted=()
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || wanted+=(nginx-light)
    command -v openssl >/dev/null 2>&1 || wanted+=(openssl)
    [ ${#wanted[@]} -eq 0 ] && return 0
    echo "nginx.sh: installing ${wanted[*]} from Debian's packages" >&2
    as_root apt-get update -qq
    # Debian's post-install script would start a system-wide nginx: not wanted here.
    as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 \
        apt-get install -y -q --no-install-recommends "${wanted[@]}" >/dev/null
}

case "${1:-}" in
install) install_missing ;;
check)
    install_missing
    PATH="$PATH:/usr/sbin" "$PY" tests/scaleout/nginx.py check
    ;;
*)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
