# Shared helpers for the project's scripts (sourced, not run).

# ensure_apt BINARY PACKAGE...: install Debian packages when BINARY is missing.
ensure_apt() {
  local binary=$1
  shift
  if command -v "$binary" >/dev/null 2>&1 || [ -x "/usr/sbin/$binary" ]; then
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "error: $binary is missing; install it with: sudo apt-get install -y $*" >&2
    return 1
  fi
  echo "installing $* (apt)" >&2
  if [ -z "${_E2E_APT_UPDATED:-}" ]; then
    apt-get update -qq >&2
    _E2E_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

# ensure_venv EXTRAS: create .venv with python3 (>= 3.10) and install the package with EXTRAS.
ensure_venv() {
  local extras=$1
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
  fi
  .venv/bin/python -m pip install -q -e ".[$extras]"
}

# npm_ci_if_stale DIR: `npm ci` in DIR unless its node_modules is newer than its lockfile.
npm_ci_if_stale() {
  if [ ! "$1/node_modules/.package-lock.json" -nt "$1/package-lock.json" ]; then
    (cd "$1" && npm ci --no-audit --no-fund)
  fi
}

# build_storefront: the demo storefront (examples/shop-web) as `next start` serves it. It
# links @e2e-otel/web with "file:../../js/web", which npm installs as a symlink without
# building it, so js/web's dist/ is built first (tsc).
build_storefront() {
  npm_ci_if_stale js/web
  (cd js/web && npm run build)
  npm_ci_if_stale examples/shop-web
  (cd examples/shop-web && NEXT_TELEMETRY_DISABLED=1 npm run build)
}
