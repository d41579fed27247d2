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
