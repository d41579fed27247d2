#!/usr/bin/env bash
# Installs e2e-otel and runs the main job, with no Docker and no servers of ours.
#
#   scripts/quickstart.sh            `e2e-otel demo`: the demo shop in-process on SQLite, traced
#                                    by the distro into OTLP JSON files, analyzed into
#                                    out/demo/report.{html,md,json}. Needs nothing but Python.
#   scripts/quickstart.sh --mariadb  the demo shop as a real server (Django REST on a local
#                                    MariaDB from Debian's packages) under
#                                    `opentelemetry-instrument`, driven by the traffic generator;
#                                    traces in out/traces.jsonl, analyzed by `e2e-otel analyze`
#                                    into out/report.{html,md,json}.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

case "${1:-}" in
  "") ensure_venv shop; exec .venv/bin/e2e-otel demo ;;
  --mariadb) ;;
  *) echo "usage: scripts/quickstart.sh [--mariadb]" >&2; exit 2 ;;
esac

ensure_apt mariadbd mariadb-server mariadb-client
ensure_venv shop

mkdir -p "${E2E_OTEL_OUT:-out}"
OUT=$(cd "${E2E_OTEL_OUT:-out}" && pwd)
PORT=${E2E_SHOP_PORT:-8765}
export E2E_MARIADB_PORT=${E2E_MARIADB_PORT:-33306}
export SHOP_DB_PORT=$E2E_MARIADB_PORT
rm -f "$OUT/traces.jsonl"

bash scripts/mariadb.sh start
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill -INT "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  bash scripts/mariadb.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

cd examples/shop
../../.venv/bin/python manage.py migrate --noinput -v 0
../../.venv/bin/python manage.py seed_shop

export DJANGO_SETTINGS_MODULE=shop_project.settings
export OTEL_SERVICE_NAME=shop-api
export OTEL_TRACES_EXPORTER=${OTEL_TRACES_EXPORTER:-none}
export E2E_OTEL_TRACES_FILE=$OUT/traces.jsonl
export E2E_OTEL_CONFIG=$PWD/e2e-otel.yaml
export OTEL_BSP_SCHEDULE_DELAY=${OTEL_BSP_SCHEDULE_DELAY:-500}
# Job control on: a background job of a non-interactive shell ignores SIGINT otherwise, and
# SIGINT (Ctrl-C) is what makes runserver exit through atexit, where the SDK flushes spans.
set -m
../../.venv/bin/opentelemetry-instrument ../../.venv/bin/python manage.py runserver "127.0.0.1:$PORT" --noreload >"$OUT/shop.log" 2>&1 &
server_pid=$!
set +m
ready=
for _ in $(seq 1 150); do
  if ../../.venv/bin/python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$PORT/api/products/', timeout=1)" 2>/dev/null; then ready=1; break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  sleep 0.2
done
if [ -z "$ready" ]; then
  echo "error: the demo shop did not start on 127.0.0.1:$PORT; last lines of $OUT/shop.log:" >&2
  tail -n 20 "$OUT/shop.log" >&2
  exit 1
fi
../../.venv/bin/python traffic.py --base-url "http://127.0.0.1:$PORT" --iterations "${E2E_TRAFFIC_ITERATIONS:-3}"
kill -INT "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
cd ../..
echo
.venv/bin/e2e-otel analyze "$OUT/traces.jsonl" --json "$OUT/report.json" \
  --markdown "$OUT/report.md" --html "$OUT/report.html"
# The verdict and the recommendations table; the full report is in the files below.
sed -n '1,/^_… and\|^<details>/p' "$OUT/report.md" | grep -v '^<details>'
echo
echo "report: $OUT/report.html (open it offline), $OUT/report.md, $OUT/report.json"
echo "traces: $OUT/traces.jsonl (OTLP JSON lines); server log: $OUT/shop.log"
