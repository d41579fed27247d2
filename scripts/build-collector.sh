#!/usr/bin/env bash
# Build (or reuse) the project's OpenTelemetry Collector, otelcol-e2e, from
# collector-config/builder-manifest.yaml with the OpenTelemetry Collector Builder, and print the
# binary's path on stdout (progress goes to stderr).
#
#   scripts/build-collector.sh               # build if needed; -> $E2E_OTEL_CACHE/otelcol-<hash>/otelcol-e2e
#   scripts/build-collector.sh --print-path  # only print where the binary is (or would be)
#
# The binary is cached OUTSIDE the repo, keyed by the manifest's sha256 (and the builder
# version), so a fresh clone reuses it and any manifest edit rebuilds. Env: E2E_OTEL_CACHE
# (default ~/.cache/e2e-otel). Needs Go >= 1.24 and the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILDER_VERSION=v0.161.0 # keep equal to the release every component in the manifest is pinned to
MANIFEST="$PWD/collector-config/builder-manifest.yaml"
CACHE="${E2E_OTEL_CACHE:-$HOME/.cache/e2e-otel}"

die() {
    echo "build-collector.sh: $*" >&2
    exit 1
}

[[ -f "$MANIFEST" ]] || die "missing $MANIFEST"
grep -q "otlpreceiver $BUILDER_VERSION" "$MANIFEST" ||
    die "the manifest is not pinned to the builder's release $BUILDER_VERSION"

key="$({ cat "$MANIFEST"; echo "builder $BUILDER_VERSION"; } | sha256sum | cut -c1-16)"
target="$CACHE/otelcol-$key"
binary="$target/otelcol-e2e"
case "${1:-}" in
--print-path)
    echo "$binary"
    exit 0
    ;;
"") ;;
*) die "usage: $0 [--print-path]" ;;
esac
if [[ -x "$binary" ]]; then
    echo "$binary"
    exit 0
fi

command -v go >/dev/null 2>&1 ||
    die "go not found: install Go >= 1.24 (Debian: apt-get install golang-go, if recent enough)"
mkdir -p "$CACHE"
# One build at a time per key: a second caller waits, then finds the binary.
exec 9>"$CACHE/.otelcol-$key.lock"
flock 9
if [[ -x "$binary" ]]; then
    echo "$binary"
    exit 0
fi

builder="$CACHE/builder-$BUILDER_VERSION/builder"
if [[ ! -x "$builder" ]]; then
    echo "installing the collector builder $BUILDER_VERSION" >&2
    GOBIN="$CACHE/builder-$BUILDER_VERSION" nice -n 10 \
        go install "go.opentelemetry.io/collector/cmd/builder@$BUILDER_VERSION" >&2 ||
        die "go install go.opentelemetry.io/collector/cmd/builder@$BUILDER_VERSION failed"
fi

work="$(mktemp -d "$CACHE/build-$key.XXXXXX")"
trap 'rm -rf -- "$work"' EXIT
echo "building otelcol-e2e (manifest $key; a cold build takes several minutes)" >&2
started=$SECONDS
# nice: the 2 cores are shared with tests and other work. The manifest's output_path is
# relative, so the generated sources and the binary land in $work.
(cd "$work" && nice -n 10 "$builder" --config "$MANIFEST" >build.log 2>&1) || {
    tail -n 40 "$work/build.log" >&2
    die "the collector build failed (above: the last 40 lines of its log)"
}
rm -rf -- "$target.tmp" "$target"
mkdir -p "$target.tmp"
mv "$work/build/otelcol-e2e" "$target.tmp/otelcol-e2e"
cp "$MANIFEST" "$target.tmp/builder-manifest.yaml"
mv -T "$target.tmp" "$target"
echo "built $binary in $((SECONDS - started))s" >&2
echo "$binary"
