#!/usr/bin/env bash
# Throw-away PostgreSQL and Redis servers on 127.0.0.1 for the scale-out shape
# (SPEC §9): the test suite's second run, the multi-process tests and the load test.
#
#   scripts/services.sh up              install when missing, start both, print the env
#   scripts/services.sh down            stop both and delete their data
#   scripts/services.sh env             print DATABASE_URL and REDIS_URL as export lines
#   scripts/services.sh status          say what runs
#   scripts/services.sh run CMD [ARG…]  start a private pair (own directory, free
#                                       ports), run CMD with the env, stop them
#   scripts/services.sh pg-bounce [S]   stop PostgreSQL for S seconds (default 4) and
#                                       start it again, data kept (within `run`, CMD
#                                       gets SERVICES_DIR and PG_PORT to call it)
#
# Both servers keep their data in SERVICES_DIR (a temporary directory, deleted by
# `down`), listen on 127.0.0.1 only, and trade durability for speed (no fsync, no
# snapshots): nothing here is worth keeping. `up` uses PG_PORT (55432) and REDIS_PORT
# (56379); `run` uses free ones unless PG_PORT, REDIS_PORT or SERVICES_DIR are set.
set -euo pipefail

# What the caller chose; `run` picks a private directory and free ports for the rest.
CHOSEN_DIR=${SERVICES_DIR:-}
CHOSEN_PG_PORT=${PG_PORT:-}
CHOSEN_REDIS_PORT=${REDIS_PORT:-}
SERVICES_DIR=${SERVICES_DIR:-${TMPDIR:-/tmp}/wagtail-securelink-services}
PG_PORT=${PG_PORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}
PG_DB=${PG_DB:-securelink}
# Database 15: the suite clears the cache between tests (FLUSHDB).
REDIS_DB=${REDIS_DB:-15}
HOST=127.0.0.1
DEADLINE=${SERVICES_DEADLINE:-60}

log() { echo "services: $*" >&2; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        log "need root to run: $*"; return 1
    fi
}

install_missing() {
    local wanted=()
    pg_bindir >/dev/null || wanted+=(postgresql)
    command -v redis-server >/dev/null || wanted+=(redis-server)
    # The X-Accel-Redirect tests put nginx in front (tests/scaleout/test_nginx.py).
    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || wanted+=(nginx-light)
    command -v openssl >/dev/null || wanted+=(openssl)
    [ ${#wanted[@]} -eq 0 ] && return 0
    log "installing ${wanted[*]} from Debian's packages"
    as_root apt-get update -qq
    # Debian's post-install scripts would start system-wide servers: not wanted here.
    as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 \
        apt-get install -y -q --no-install-recommends "${wanted[@]}" >/dev/null
}

# PostgreSQL refuses to run as root: as root, run its tools as the postgres user.
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_running() {
    [ -f "$SERVICES_DIR/pg/postmaster.pid" ] &&
        as_pg "$(pg_bindir)/pg_ctl" -D "$SERVICES_DIR/pg" status >/dev/null 2>&1
}

redis_running() {
    redis-cli -h "$HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1
}

STARTED=""

pg_ctl_start() {
    as_pg "$1/pg_ctl" -D "$SERVICES_DIR/pg" -l "$SERVICES_DIR/postgres.log" \
        -w -t "$DEADLINE" start -o "-h $HOST -p $PG_PORT -k $SERVICES_DIR \
        -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
        -c max_connections=200" >/dev/null ||
        { cat "$SERVICES_DIR/postgres.log" >&2; return 1; }
}

# A database outage as an operator sees one: the server goes away, then comes back
# with its data (scripts/worker_recovery.py restarts it under a running db_worker).
pg_bounce() {
    local bin
    bin=$(pg_bindir)
    pg_running || { log "PostgreSQL is not running in $SERVICES_DIR"; return 1; }
    as_pg "$bin/pg_ctl" -D "$SERVICES_DIR/pg" -m fast -w stop >/dev/null
    log "PostgreSQL stopped for ${1:-4} s"
    sleep "${1:-4}"
    pg_ctl_start "$bin"
    log "PostgreSQL started again"
}

start_postgres() {
    local bin
    bin=$(pg_bindir)
    if pg_running; then return 0; fi
    STARTED="$STARTED pg"
    mkdir -p "$SERVICES_DIR"
    rm -rf "$SERVICES_DIR/pg"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$SERVICES_DIR"; fi
    as_pg "$bin/initdb" -D "$SERVICES_DIR/pg" -U postgres -A trust -E UTF8 \
        --no-locale --no-sync >"$SERVICES_DIR/initdb.log" 2>&1 ||
        { cat "$SERVICES_DIR/initdb.log" >&2; return 1; }
    # Unsafe for data, fine for throw-away data; connections for 2 gunicorns x
    # 4 workers, a task worker, the test runner and its xdist workers.
    pg_ctl_start "$bin" || return 1
    as_pg "$bin/createdb" -h "$HOST" -p "$PG_PORT" -U postgres "$PG_DB"
    log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on $HOST:$PG_PORT"
}

start_redis() {
    if redis_running; then return 0; fi
    STARTED="$STARTED redis"
    mkdir -p "$SERVICES_DIR/redis"
    redis-server --port "$REDIS_PORT" --bind "$HOST" --save '' --appendonly no \
        --daemonize yes --dir "$SERVICES_DIR/redis" \
        --pidfile "$SERVICES_DIR/redis/redis.pid" \
        --logfile "$SERVICES_DIR/redis/redis.log"
    local deadline=$((SECONDS + DEADLINE))
    until redis_running; do
        if [ $SECONDS -gt $deadline ]; then
            cat "$SERVICES_DIR/redis/redis.log" >&2
            return 1
        fi
        sleep 0.1
    done
    log "Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on $HOST:$REDIS_PORT"
}

stop_redis() {
    if redis_running; then
        redis-cli -h "$HOST" -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    fi
    rm -rf "$SERVICES_DIR/redis"
}

stop_postgres() {
    if [ -d "$SERVICES_DIR/pg" ] && pg_running; then
        as_pg "$(pg_bindir)/pg_ctl" -D "$SERVICES_DIR/pg" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$SERVICES_DIR/pg" "$SERVICES_DIR"/*.log
}

stop_all() {
    stop_redis
    stop_postgres
    rm -rf "$SERVICES_DIR"
    log "stopped"
}

# What `run` started, and only that.
stop_started() {
    case "$STARTED" in *redis*) stop_redis ;; esac
    case "$STARTED" in *pg*) stop_postgres ;; esac
    if [ -z "$CHOSEN_DIR" ]; then rm -rf "$SERVICES_DIR"; else rmdir "$SERVICES_DIR" 2>/dev/null || true; fi
    [ -z "$STARTED" ] || log "stopped$STARTED"
}

print_env() {
    echo "export DATABASE_URL=postgres://postgres@$HOST:$PG_PORT/$PG_DB"
    echo "export REDIS_URL=redis://$HOST:$REDIS_PORT/$REDIS_DB"
}

case "${1:-}" in
up)
    install_missing
    start_postgres
    start_redis
    print_env
    ;;
down)
    stop_all
    ;;
env)
    print_env
    ;;
status)
    pg_running && log "PostgreSQL runs on $HOST:$PG_PORT" || log "PostgreSQL is not running"
    redis_running && log "Redis runs on $HOST:$REDIS_PORT" || log "Redis is not running"
    ;;
run)
    shift
    [ $# -gt 0 ] || { log "usage: $0 run CMD [ARG…]"; exit 2; }
    # Servers of its own (unless told otherwise), so that two runs at once on one
    # machine (two checkouts, CI beside a developer) never share or stop each other's.
    [ -n "$CHOSEN_DIR" ] ||
        SERVICES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/wagtail-securelink-services.XXXXXX")
    [ -n "$CHOSEN_PG_PORT" ] || PG_PORT=$(free_port)
    [ -n "$CHOSEN_REDIS_PORT" ] || REDIS_PORT=$(free_port)
    trap stop_started EXIT
    install_missing
    start_postgres
    start_redis
    eval "$(print_env)"
    export SERVICES_DIR PG_PORT REDIS_PORT
    "$@"
    ;;
pg-bounce)
    pg_bounce "${2:-4}"
    ;;
*)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
