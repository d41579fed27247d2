#!/usr/bin/env bash
# Write the .env file docker compose reads on its own (next to docker-compose.yml), once:
# a random Grafana admin password, and the host ports and bind address, commented out at their
# defaults. Run it before the first `docker compose up`; nothing needs exporting afterwards.
#
#   scripts/compose-env.sh              # creates .env (mode 600); an existing .env is kept
#   scripts/compose-env.sh --print      # also print the Grafana admin password
#
# An existing .env without GRAFANA_ADMIN_PASSWORD gets one appended; other lines stay as they
# are. Grafana applies the password when it creates its database (the first start of the
# grafana-data volume): changing it later needs `docker compose down -v` or a change in Grafana.
set -euo pipefail
cd "$(dirname "$0")/.."

ENV_FILE=.env
print=false
case "${1:-}" in
    "") ;;
    --print) print=true ;;
    *) echo "usage: scripts/compose-env.sh [--print]" >&2; exit 2 ;;
esac

# docker-compose.yml's inline `configs: content:` needs Docker Compose v2.23.1 or later; an
# older one refuses the whole file with a schema error that does not say so.
MIN_COMPOSE=2.23.1
check_compose() {
    if ! command -v docker >/dev/null 2>&1; then
        echo "note: docker not found; the stack needs Docker with Compose >= v$MIN_COMPOSE" >&2
        return 0
    fi
    local version
    if ! version=$(docker compose version --short 2>/dev/null); then
        echo "note: 'docker compose' (Compose v2) not found; the stack needs Compose >= v$MIN_COMPOSE (docker-compose v1 does not work)" >&2
        return 0
    fi
    version=${version#v}
    if [ "$(printf '%s\n%s\n' "$MIN_COMPOSE" "$version" | sort -V | head -n 1)" != "$MIN_COMPOSE" ]; then
        echo "error: docker compose $version is older than v$MIN_COMPOSE, which docker-compose.yml needs (inline configs): update Docker Compose" >&2
        exit 1
    fi
}
check_compose

random_password() {
    # 24 characters of [A-Za-z0-9]: no quoting issues in .env or YAML.
    LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24
}

umask 077
if [ ! -e "$ENV_FILE" ]; then
    cat >"$ENV_FILE" <<CONF
# docker compose settings of the e2e-otel stack, written by scripts/compose-env.sh.
# docker compose reads this file itself; docs/stack.md lists every variable.
# Keep it out of version control: it holds the Grafana admin password.
GRAFANA_ADMIN_PASSWORD=$(random_password)

# Address the published ports listen on (0.0.0.0: the whole network).
# E2E_STACK_BIND=127.0.0.1
# Host ports, if a default is taken on this machine.
# E2E_GRAFANA_PORT=3000
# E2E_PROMETHEUS_PORT=9090
# E2E_TEMPO_PORT=3200
# E2E_OTLP_GRPC_PORT=4317
# E2E_OTLP_HTTP_PORT=4318
# E2E_COLLECTOR_HEALTH_PORT=13133
# E2E_SHOP_PORT=8765
# The scale profile's gateway (docs/scaling.md):
# E2E_GATEWAY_OTLP_GRPC_PORT=4327
# E2E_GATEWAY_OTLP_HTTP_PORT=4328
# Service-account token the analyzer uses to post Grafana annotations.
# GRAFANA_TOKEN=
CONF
    echo "wrote $ENV_FILE" >&2
elif ! grep -q '^GRAFANA_ADMIN_PASSWORD=.' "$ENV_FILE"; then
    printf '\nGRAFANA_ADMIN_PASSWORD=%s\n' "$(random_password)" >>"$ENV_FILE"
    echo "added GRAFANA_ADMIN_PASSWORD to the existing $ENV_FILE" >&2
else
    echo "$ENV_FILE already sets GRAFANA_ADMIN_PASSWORD; left unchanged" >&2
fi

# Owner-only in every case: an .env that existed before (perhaps 644) now holds the password.
chmod 600 "$ENV_FILE"

if git rev-parse --is-inside-work-tree >/dev/null 2>&1 && ! git check-ignore -q "$ENV_FILE"; then
    echo "warning: $ENV_FILE is not git-ignored; do not commit it (it holds a password)" >&2
fi
if [ "$print" = true ]; then
    sed -n 's/^GRAFANA_ADMIN_PASSWORD=//p' "$ENV_FILE" | tail -n 1
else
    echo "Grafana user admin; password: grep GRAFANA_ADMIN_PASSWORD $ENV_FILE" >&2
fi
