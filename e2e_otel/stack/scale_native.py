"""The scaled-out stack on loopback: one gateway collector, N sampling collectors, Prometheus.

The same files as the compose ``scale`` profile (docs/scaling.md): the gateway runs
``collector-config/otelcol.yaml`` with ``collector-config/scale/gateway.yaml`` merged on top,
each sampler runs ``collector-config/scale/sampler.yaml``; only ``E2E_OTELCOL_*`` variables
differ (loopback ports, a traces file per sampler instead of Tempo)::

    with ScaledStack(Path("/tmp/scale"), samplers=2) as stack:
        ...  # OTLP to stack.otlp_http_endpoint; kept traces in stack.sampler_files
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from e2e_otel.stack.native import Program, Programs, prometheus_program
from e2e_otel.stack.native_config import (
    COLLECTOR_CONFIG,
    LOOPBACK,
    Ports,
    collector_env,
    find_collector,
    find_prometheus,
)

SCALE_DIR = COLLECTOR_CONFIG.parent / "scale"
GATEWAY_OVERLAY = SCALE_DIR / "gateway.yaml"
SAMPLER_CONFIG = SCALE_DIR / "sampler.yaml"


def sampler_env(
    ports: Ports, traces_file: Path, percent: float, decision_wait: str
) -> dict[str, str]:
    """The E2E_OTELCOL_* values of one native sampler: loopback ports, kept traces to a file."""
    return {
        "E2E_OTELCOL_OTLP_GRPC_ENDPOINT": f"{LOOPBACK}:{ports.otlp_grpc}",
        "E2E_OTELCOL_HEALTH_ENDPOINT": f"{LOOPBACK}:{ports.health}",
        "E2E_OTELCOL_TELEMETRY_HOST": LOOPBACK,
        "E2E_OTELCOL_TELEMETRY_PORT": str(ports.telemetry),
        "E2E_OTELCOL_TRACES_EXPORTERS": "[file/traces]",
        "E2E_OTELCOL_TRACES_FILE": str(traces_file),
        "E2E_OTELCOL_SAMPLING_PERCENT": f"{percent:g}",
        "E2E_OTELCOL_SAMPLING_DECISION_WAIT": decision_wait,
    }


@dataclass
class ScaledStack(Programs):
    """Prometheus, ``samplers`` sampling collectors, then ``gateways`` gateways in front."""

    workdir: Path
    samplers: int = 2
    sampling_percent: float = 10.0
    decision_wait: str = "2s"
    sampler_config: Path = SAMPLER_CONFIG
    interval: str = "5s"
    metrics_flush_interval: str = "2s"
    startup_timeout: float = 60.0
    route_prefix: str = ""
    """Serve Prometheus under a path (e.g. ``/prometheus``, where Mimir serves its Prometheus
    API), so remote write and queries are tested through a base URL with a path."""
    gateways: int = 1
    """Gateways in front of the samplers: each sends its own span metrics (instance label
    ``gateway-N``), all route a trace id to the same sampler."""
    _programs: list[Program] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        # Every port of the stack at once, so no two programs are handed the same one.
        allocated = _free_ports(self.gateways + self.samplers)
        self.gateway_ports: list[Ports] = allocated[: self.gateways]
        self.sampler_ports: list[Ports] = allocated[self.gateways :]

    @property
    def ports(self) -> Ports:
        """The first gateway's ports (and Prometheus's)."""
        return self.gateway_ports[0]

    @property
    def otlp_http_endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.ports.otlp_http}"

    @property
    def gateway_endpoints(self) -> list[str]:
        """Every gateway's OTLP/HTTP endpoint."""
        return [f"http://{LOOPBACK}:{p.otlp_http}" for p in self.gateway_ports]

    @property
    def prometheus_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ports.prometheus}{self.route_prefix}"

    @property
    def gateway_telemetry_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ports.telemetry}/metrics"

    @property
    def sampler_files(self) -> list[Path]:
        return [self.workdir / f"sampler-{i}.jsonl" for i in range(len(self.sampler_ports))]

    def sampler_telemetry_urls(self) -> list[str]:
        return [f"http://{LOOPBACK}:{p.telemetry}/metrics" for p in self.sampler_ports]

    def start(self) -> None:
        collector = find_collector()
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._launch(self._prometheus(), f"{self.prometheus_url}/-/ready")
            for index, ports in enumerate(self.sampler_ports):
                self._launch(self._sampler(collector, index, ports), _health(ports))
            for index, ports in enumerate(self.gateway_ports):
                self._launch(self._gateway(collector, index, ports), _health(ports))
        except BaseException:
            self.stop()
            raise

    def pids(self) -> dict[str, int]:
        """Process id of each running program by name (prometheus, sampler-N, gateway-N)."""
        return {p.name: p.process.pid for p in self._programs if p.process is not None}

    def _prometheus(self) -> Program:
        targets = {
            "prometheus": f"{LOOPBACK}:{self.ports.prometheus}",
            "otel-collector": f"{LOOPBACK}:{self.ports.telemetry}",
            "e2e-otel-analyzer": f"{LOOPBACK}:9",  # no analyzer in this harness
        }
        flags = []
        if self.route_prefix:
            flags = [
                f"--web.route-prefix={self.route_prefix}",
                f"--web.external-url={self.prometheus_url}",
            ]
        binary, port = find_prometheus(), self.ports.prometheus
        return prometheus_program(binary, self.workdir, port, targets, self.interval, flags)

    def _sampler(self, binary: Path, index: int, ports: Ports) -> Program:
        env = sampler_env(
            ports, self.sampler_files[index], self.sampling_percent, self.decision_wait
        )
        command = [str(binary), "--config", str(self.sampler_config)]
        log = self.workdir / f"sampler-{index}.log"
        return Program(f"sampler-{index}", command, log, {**os.environ, **env})

    def _gateway(self, binary: Path, index: int, ports: Ports) -> Program:
        env = collector_env(ports, self.workdir / "unused.jsonl", self.metrics_flush_interval)
        env["E2E_OTELCOL_GATEWAY_ID"] = f"gateway-{index}"
        env["E2E_OTELCOL_PROMETHEUS_REMOTE_WRITE_URL"] = f"{self.prometheus_url}/api/v1/write"
        hosts = ", ".join(f"{LOOPBACK}:{p.otlp_grpc}" for p in self.sampler_ports)
        env["E2E_OTELCOL_SAMPLERS"] = f"[{hosts}]"
        command = [
            str(binary),
            "--config",
            str(COLLECTOR_CONFIG),
            "--config",
            str(GATEWAY_OVERLAY),
        ]
        log = self.workdir / f"gateway-{index}.log"
        return Program(f"gateway-{index}", command, log, {**os.environ, **env})


def _free_ports(count: int) -> list[Ports]:
    """``count`` sets of distinct free loopback ports, all bound at once while chosen."""
    sockets = [socket.socket() for _ in range(5 * count)]
    try:
        for sock in sockets:
            sock.bind((LOOPBACK, 0))
        numbers = [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
    return [Ports(*numbers[5 * i : 5 * i + 5]) for i in range(count)]


def _health(ports: Ports) -> str:
    return f"http://{LOOPBACK}:{ports.health}/"
