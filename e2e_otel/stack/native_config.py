"""Where the stack's programs and config files are, and the loopback settings a native run gives
them (see :mod:`e2e_otel.stack.native`)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from e2e_otel.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
COLLECTOR_CONFIG = ROOT / "collector-config" / "otelcol.yaml"
PROMETHEUS_CONFIG = ROOT / "prometheus" / "prometheus.yml"
BUILD_SCRIPT = ROOT / "scripts" / "build-collector.sh"
COLLECTOR_BIN_ENV = "E2E_OTELCOL_BIN"
LOOPBACK = "127.0.0.1"


class StackError(UserError, RuntimeError):
    """A stack program is missing (the message says how to install it), or did not start or
    answer in time (the message shows the end of its log)."""


def find_collector(environ: Mapping[str, str] | None = None) -> Path:
    """The otelcol-e2e binary: ``$E2E_OTELCOL_BIN``, else scripts/build-collector.sh's cache."""
    environ = os.environ if environ is None else environ
    hint = f"run scripts/build-collector.sh (it builds and caches it) or set {COLLECTOR_BIN_ENV}"
    configured = environ.get(COLLECTOR_BIN_ENV)
    if configured:
        if os.access(configured, os.X_OK) and Path(configured).is_file():
            return Path(configured)
        raise StackError(f"the collector {COLLECTOR_BIN_ENV}={configured} not found: {hint}")
    # The script owns the cache key (the manifest's hash): ask it where the binary would be.
    result = subprocess.run(
        ["bash", str(BUILD_SCRIPT), "--print-path"],
        capture_output=True,
        text=True,
        env=dict(environ),
        check=False,
    )
    cached = result.stdout.strip()
    if result.returncode == 0 and cached and os.access(cached, os.X_OK):
        return Path(cached)
    raise StackError(f"the collector otelcol-e2e is not built: {hint}")


def find_prometheus() -> Path:
    found = shutil.which("prometheus")
    if found is None:
        raise StackError("prometheus not found: apt-get install prometheus (Debian, 2.42)")
    return Path(found)


@dataclass(frozen=True)
class Ports:
    otlp_grpc: int
    otlp_http: int
    health: int
    telemetry: int
    prometheus: int

    @classmethod
    def standard(cls) -> Ports:
        """The usual ports, as docker compose publishes them."""
        return cls(otlp_grpc=4317, otlp_http=4318, health=13133, telemetry=8888, prometheus=9090)

    @classmethod
    def free(cls) -> Ports:
        """Distinct free loopback ports (all bound at once, so no duplicates)."""
        sockets = [socket.socket() for _ in range(5)]
        try:
            for sock in sockets:
                sock.bind((LOOPBACK, 0))
            return cls(*(int(sock.getsockname()[1]) for sock in sockets))
        finally:
            for sock in sockets:
                sock.close()


def collector_env(ports: Ports, traces_file: Path, flush_interval: str) -> dict[str, str]:
    """The E2E_OTELCOL_* values of a native run (see collector-config/otelcol.yaml): loopback
    addresses, and traces to the file exporter only (no Tempo outside compose)."""
    return {
        "E2E_OTELCOL_OTLP_GRPC_ENDPOINT": f"{LOOPBACK}:{ports.otlp_grpc}",
        "E2E_OTELCOL_OTLP_HTTP_ENDPOINT": f"{LOOPBACK}:{ports.otlp_http}",
        "E2E_OTELCOL_HEALTH_ENDPOINT": f"{LOOPBACK}:{ports.health}",
        "E2E_OTELCOL_TELEMETRY_HOST": LOOPBACK,
        "E2E_OTELCOL_TELEMETRY_PORT": str(ports.telemetry),
        "E2E_OTELCOL_PROMETHEUS_REMOTE_WRITE_URL": (
            f"http://{LOOPBACK}:{ports.prometheus}/api/v1/write"
        ),
        "E2E_OTELCOL_TRACES_EXPORTERS": "[file/traces]",
        "E2E_OTELCOL_TRACES_FILE": str(traces_file),
        "E2E_OTELCOL_METRICS_FLUSH_INTERVAL": flush_interval,
    }


def prometheus_config(
    targets: Mapping[str, str], interval: str, source: Path = PROMETHEUS_CONFIG
) -> dict[str, Any]:
    """``source`` with each job's targets replaced by ``targets[job_name]``."""
    config: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8"))
    config.setdefault("global", {}).update(scrape_interval=interval, evaluation_interval=interval)
    config["rule_files"] = [
        os.path.join(source.parent, pattern) for pattern in config.get("rule_files") or []
    ]
    for job in config.get("scrape_configs") or []:
        name = job["job_name"]
        if name not in targets:
            # A job added to prometheus.yml must get a loopback target here too.
            raise StackError(f"{source}: no native target for scrape job {name!r}")
        job["static_configs"] = [{"targets": [targets[name]]}]
    return config


def validate(collector: Path, env: Mapping[str, str]) -> None:
    """Run ``otelcol-e2e validate`` on collector-config/otelcol.yaml with ``env`` added."""
    result = subprocess.run(
        [str(collector), "validate", "--config", str(COLLECTOR_CONFIG)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise StackError(f"{COLLECTOR_CONFIG} does not validate:\n{result.stderr[-3000:]}")
