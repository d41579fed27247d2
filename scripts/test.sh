#!/usr/bin/env bash
# Installs everything and runs the whole test suite: ruff, mypy, the browser package's tests
# in Chromium, the demo storefront's build, pytest on real MariaDB (with the storefront in
# Chromium).
# This is exactly what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_apt mariadbd mariadb-server mariadb-client
ensure_apt pt-fingerprint percona-toolkit
# mysqlclient builds against the MariaDB client library.
ensure_apt mariadb_config libmariadb-dev pkg-config
# The stack tests run Debian's Prometheus (promtool comes with it).
ensure_apt prometheus prometheus
# The browser package's tests drive Debian's Chromium (no browser download).
ensure_apt chromium chromium
ensure_venv dev

echo "== ruff" >&2
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy" >&2
.venv/bin/mypy
echo "== collector" >&2
# Build the project's collector, or reuse the one cached for this manifest (outside the repo).
E2E_OTELCOL_BIN="$(bash scripts/build-collector.sh)"
export E2E_OTELCOL_BIN
echo "== js/web" >&2
# @e2e-otel/web: tsc build, then node --test in headless Chromium (about 30 s with the install).
(cd js/web && npm ci --no-audit --no-fund && npm test)
echo "== storefront" >&2
# The demo storefront for tests/frontend: npm ci + next build (about 45 s).
build_storefront
echo "== pytest" >&2
# The integration tests start MariaDB themselves through scripts/mariadb.sh.
exec .venv/bin/pytest "$@"
