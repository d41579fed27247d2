#!/usr/bin/env bash
# The full browser demo, no Docker: the demo storefront (Next.js, examples/shop-web) on
# http://127.0.0.1:3000 calls the demo shop (Django REST on a local MariaDB, under
# opentelemetry-instrument, :8765); both send OTLP to the project's collector (:4318), which
# writes every span to out/storefront/stack/traces.jsonl and span metrics to Prometheus (:9090).
# Traffic runs through every workflow in the background, and the analyzer runs in service mode
# on the trace file every minute (its e2e_otel_* metrics on :9464, scraped by Prometheus).
# Open the storefront, click around (Problems has the planted failures), then Ctrl-C.
#
#   scripts/storefront-demo.sh
#
# Needs Node >= 20, Go (the collector build, cached after the first time) and, from Debian,
# mariadb-server and prometheus (installed if missing when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_apt mariadbd mariadb-server mariadb-client
ensure_apt prometheus prometheus
ensure_venv shop
E2E_OTELCOL_BIN="$(bash scripts/build-collector.sh)"
export E2E_OTELCOL_BIN
build_storefront

OUT=$(mkdir -p out/storefront && cd out/storefront && pwd)
WEB_PORT=3000 SHOP_PORT=8765 COLLECTOR=http://127.0.0.1:4318
export E2E_MARIADB_PORT=${E2E_MARIADB_PORT:-33306} SHOP_DB_PORT=${E2E_MARIADB_PORT:-33306}
# The storefront's origins, for the shop's CORS and the collector's (its default is the same).
ORIGINS="http://127.0.0.1:$WEB_PORT,http://localhost:$WEB_PORT"
export E2E_OTELCOL_CORS_ALLOWED_ORIGINS="[${ORIGINS/,/, }]"

pids=()
stop_group() {  # stop_group PID: SIGINT (a Ctrl-C: the SDKs flush), then SIGTERM, then SIGKILL
  local pid=$1 signal
  for signal in INT TERM KILL; do
    # To the whole process group (set -m gave each its own): a shell loop such as the
    # traffic only stops when its running child stops too. A script started in the
    # background has SIGINT ignored, and so do its children: hence the escalation.
    kill "-$signal" -- "-$pid" 2>/dev/null || kill "-$signal" "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do
      # Gone, or a zombie (exited, not yet reaped): done.
      if ! grep -qs '^State:[[:space:]]*[^Z]' "/proc/$pid/status"; then
        wait "$pid" 2>/dev/null || true
        return 0
      fi
      sleep 0.2
    done
  done
}
cleanup() {
  # Reverse order: the collector last, so the others' last spans reach it.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    stop_group "${pids[$i]}"
  done
  bash scripts/mariadb.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
# A SIGTERM (or a Ctrl-C that reaches the script first) exits through the EXIT trap too.
trap "exit 130" INT TERM
wait_for() {  # wait_for URL NAME LOG
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "$2 did not answer on $1; see $3" >&2
  exit 1
}

bash scripts/mariadb.sh start
(cd examples/shop && ../../.venv/bin/python manage.py migrate --noinput -v 0 && ../../.venv/bin/python manage.py seed_shop)

set -m  # own process groups: Ctrl-C reaches them only through cleanup, in order
.venv/bin/python -m e2e_otel.stack.native up --workdir "$OUT/stack" >"$OUT/stack.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:13133/ collector "$OUT/stack.log"
(cd examples/shop && DJANGO_SETTINGS_MODULE=shop_project.settings OTEL_SERVICE_NAME=shop-api \
  OTEL_EXPORTER_OTLP_ENDPOINT=$COLLECTOR OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
  E2E_OTEL_CONFIG=$PWD/e2e-otel.yaml SHOP_CORS_ORIGINS=$ORIGINS \
  exec ../../.venv/bin/opentelemetry-instrument ../../.venv/bin/python manage.py runserver \
  "127.0.0.1:$SHOP_PORT" --noreload) >"$OUT/shop.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$SHOP_PORT/api/products/" shop "$OUT/shop.log"
(cd examples/shop-web && SHOP_API_URL=http://127.0.0.1:$SHOP_PORT OTEL_COLLECTOR_URL=$COLLECTOR \
  NEXT_TELEMETRY_DISABLED=1 exec node node_modules/next/dist/bin/next start -H 127.0.0.1 \
  -p "$WEB_PORT") >"$OUT/storefront.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$WEB_PORT/login" storefront "$OUT/storefront.log"
# Background traffic through every workflow and planted problem, as the compose demo profile
# runs it, so the span metrics, the rules and the analyzer always have something to show.
(cd examples/shop && trap 'exit 0' INT TERM && while true; do
  ../../.venv/bin/python traffic.py --base-url "http://127.0.0.1:$SHOP_PORT" --iterations 1 || true
  sleep 10
done) >"$OUT/traffic.log" 2>&1 &
pids+=($!)
# The analyzer in service mode on the collector's trace file: every minute a report, served
# as e2e_otel_* metrics on :9464, where the stack's Prometheus scrapes it (the findings and
# health panels, the analyzer-staleness alert).
.venv/bin/e2e-otel analyze "$OUT/stack/traces.jsonl" --config examples/shop/e2e-otel.yaml \
  --every 1m --serve 127.0.0.1:9464 --json "$OUT/report.json" >"$OUT/analyzer.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:9464/metrics analyzer "$OUT/analyzer.log"
set +m

cat <<INFO
storefront  http://127.0.0.1:$WEB_PORT   (log in as alice / alice-password)
shop API    http://127.0.0.1:$SHOP_PORT/api/
prometheus  http://127.0.0.1:9090
analyzer    http://127.0.0.1:9464/metrics   (a report every minute: $OUT/report.json)
traffic     every workflow every ~10 s   ($OUT/traffic.log)
traces      $OUT/stack/traces.jsonl   (logs in $OUT)
Ctrl-C stops everything; then: .venv/bin/e2e-otel summary $OUT/stack/traces.jsonl
INFO
wait "${pids[@]}"
