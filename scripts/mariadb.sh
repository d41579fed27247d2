#!/usr/bin/env bash
# Start/stop a throwaway MariaDB on loopback for the demo shop and integration tests.
# No Docker here (docs/architecture.md, "Real components in tests"): we run the Debian mariadbd directly with a temp datadir.
#
#   scripts/mariadb.sh start|stop|status
#
# Env: E2E_MARIADB_PORT (33306), E2E_MARIADB_DIR (/tmp/e2e-otel-mariadb-$PORT),
#      E2E_MARIADB_KEEP (set: `stop` keeps the datadir).
set -euo pipefail

PORT="${E2E_MARIADB_PORT:-33306}"
DIR="${E2E_MARIADB_DIR:-/tmp/e2e-otel-mariadb-$PORT}"
DATADIR="$DIR/data"
SOCKET="$DIR/mariadb.sock"
PIDFILE="$DIR/mariadb.pid"
ERRLOG="$DIR/mariadb.err"
WAIT_SECONDS=60

# die MESSAGE [LOG]: one readable line, then the tail of LOG (default: the server error log).
die() {
    local log="${2:-$ERRLOG}"
    echo "mariadb.sh: $1" >&2
    if [[ -s "$log" ]]; then
        echo "--- last lines of $log ---" >&2
        tail -n 10 "$log" >&2
    fi
    exit 1
}

# Root over TCP with an empty password: only ever bound to 127.0.0.1 and a throwaway datadir.
root_sql() {
    mariadb --protocol=TCP -h 127.0.0.1 -P "$PORT" -u root --connect-timeout=2 -N -B
}

answering() {
    mariadb-admin --protocol=TCP -h 127.0.0.1 -P "$PORT" -u root --connect-timeout=2 \
        ping >/dev/null 2>&1
}

ensure_binaries() {
    if command -v mariadbd >/dev/null 2>&1 || [[ -x /usr/sbin/mariadbd ]]; then
        return
    fi
    if [[ "$(id -u)" -ne 0 ]]; then
        die "mariadbd not found; install it with: sudo apt-get install -y mariadb-server"
    fi
    echo "mariadbd not found; installing mariadb-server" >&2
    apt-get update -qq >&2 || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >&2 \
        || die "apt-get install mariadb-server failed"
}

mariadbd_bin() {
    command -v mariadbd 2>/dev/null || echo /usr/sbin/mariadbd
}

init_datadir() {
    [[ -d "$DATADIR/mysql" ]] && return
    mkdir -p "$DATADIR"
    # Fast init: no test db, no name resolution, root authenticates by (empty) password so
    # TCP connections work without the unix_socket plugin.
    mariadb-install-db --user=root --datadir="$DATADIR" \
        --auth-root-authentication-method=normal --skip-test-db \
        --skip-name-resolve --skip-log-bin >"$DIR/install-db.log" 2>&1 \
        || die "mariadb-install-db failed in $DATADIR" "$DIR/install-db.log"
}

ensure_schema() {
    # test_shop is what Django's test runner creates; the shop user needs rights on it too.
    root_sql <<'SQL' || die "could not create database/user shop on 127.0.0.1:$PORT"
CREATE DATABASE IF NOT EXISTS shop CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'shop'@'127.0.0.1' IDENTIFIED BY 'shop';
CREATE USER IF NOT EXISTS 'shop'@'localhost' IDENTIFIED BY 'shop';
GRANT ALL PRIVILEGES ON shop.* TO 'shop'@'127.0.0.1';
GRANT ALL PRIVILEGES ON shop.* TO 'shop'@'localhost';
GRANT ALL PRIVILEGES ON test_shop.* TO 'shop'@'127.0.0.1';
GRANT ALL PRIVILEGES ON test_shop.* TO 'shop'@'localhost';
FLUSH PRIVILEGES;
SQL
}

cmd_start() {
    if answering; then
        ensure_schema
        echo "mariadb ready on 127.0.0.1:$PORT"
        return
    fi
    ensure_binaries
    mkdir -p "$DIR"
    init_datadir
    : >"$ERRLOG"
    # --no-defaults: ignore /etc/mysql/*.cnf so a system install cannot change our port/paths.
    # setsid: own session, so a Ctrl-C or job kill aimed at the caller does not take the server down.
    setsid "$(mariadbd_bin)" --no-defaults --user=root \
        --datadir="$DATADIR" --socket="$SOCKET" --pid-file="$PIDFILE" --log-error="$ERRLOG" \
        --bind-address=127.0.0.1 --port="$PORT" \
        --skip-name-resolve --skip-log-bin \
        --innodb-buffer-pool-size=128M \
        --innodb-flush-log-at-trx-commit=2 \
        --performance-schema=OFF --max-connections=100 \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
        >>"$DIR/mariadbd.out" 2>&1 </dev/null &
    local launcher=$!
    disown "$launcher" 2>/dev/null || true
    local waited=0
    until answering; do
        if ! kill -0 "$launcher" 2>/dev/null; then
            die "mariadbd exited during startup (port $PORT in use?)"
        fi
        if ((waited >= WAIT_SECONDS * 2)); then
            die "mariadbd did not answer on 127.0.0.1:$PORT within ${WAIT_SECONDS}s"
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
    ensure_schema
    echo "mariadb ready on 127.0.0.1:$PORT"
}

cmd_stop() {
    if [[ -f "$PIDFILE" ]]; then
        local pid
        pid="$(cat "$PIDFILE")"
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            local waited=0
            while kill -0 "$pid" 2>/dev/null; do
                if ((waited >= WAIT_SECONDS * 2)); then
                    die "mariadbd (pid $pid) did not stop within ${WAIT_SECONDS}s"
                fi
                sleep 0.5
                waited=$((waited + 1))
            done
        fi
    elif answering; then
        die "a server answers on 127.0.0.1:$PORT but $PIDFILE is missing; not started by this script?"
    fi
    # Only remove a directory this script populated, never an arbitrary E2E_MARIADB_DIR.
    if [[ -z "${E2E_MARIADB_KEEP:-}" && -d "$DATADIR" ]]; then
        rm -rf -- "$DIR"
    fi
    echo "mariadb stopped on 127.0.0.1:$PORT"
}

cmd_status() {
    if answering; then
        echo "mariadb running on 127.0.0.1:$PORT (dir $DIR)"
    else
        echo "mariadb not running on 127.0.0.1:$PORT"
        return 3
    fi
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
