"""Run the real collector and Prometheus on loopback with the stack's own config files.

For tests and for users without Docker (from a source checkout)::

    python -m e2e_otel.stack.native up         # until Ctrl-C
    python -m e2e_otel.stack.native validate   # the collector's `validate` on our config

Both programs read the SAME files as docker compose. The collector reads
``collector-config/otelcol.yaml`` with its ``E2E_OTELCOL_*`` variables set to loopback values
(the file defaults to the compose values). Prometheus 2.42 has no environment expansion in its
config, so it reads a copy of ``prometheus/prometheus.yml`` whose scrape targets are mapped to
loopback addresses, with ``rule_files`` made absolute and shorter intervals.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COLLECTOR_CONFIG = ROOT / "collector-config" / "otelcol.yaml"
PROMETHEUS_CONFIG = ROOT / "prometheus" / "prometheus.yml"
BUILD_SCRIPT = ROOT / "scripts" / "build-collector.sh"
COLLECTOR_BIN_ENV = "E2E_OTELCOL_BIN"
LOOPBACK = "127.0.0.1"


class StackError(RuntimeError):
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


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class _Program:
    name: str
    command: list[str]
    log: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    def start(self, ready_url: str, timeout: float) -> None:
        with self.log.open("ab") as log:
            # Own session: a Ctrl-C aimed at us does not reach it; stop() decides the order.
            self.process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not _answers(ready_url):
            self.check_alive()
            if time.monotonic() > deadline:
                raise StackError(f"{self.name}: {ready_url} silent for {timeout:.0f}s\n{self}")
            time.sleep(0.1)

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise StackError(f"{self.name} exited with code {self.process.returncode}\n{self}")

    def stop(self, timeout: float = 30) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __str__(self) -> str:
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:]
        return f"--- last lines of {self.log} ---\n" + "\n".join(lines)


@dataclass
class NativeStack:
    """The built collector and Debian's Prometheus on loopback, as a context manager::

    with NativeStack(Path("/tmp/stack")) as stack:
        ...  # send OTLP to stack.otlp_http_endpoint, query stack.prometheus_url
    """

    workdir: Path
    ports: Ports = field(default_factory=Ports.free)
    interval: str = "5s"
    metrics_flush_interval: str = "2s"
    analyzer_target: str = f"{LOOPBACK}:9464"
    startup_timeout: float = 60.0
    collector_bin: Path | None = None
    prometheus_bin: Path | None = None
    _programs: list[_Program] = field(default_factory=list, init=False, repr=False)

    @property
    def otlp_http_endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.ports.otlp_http}"

    @property
    def otlp_grpc_endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.ports.otlp_grpc}"

    @property
    def prometheus_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ports.prometheus}"

    @property
    def health_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ports.health}/"

    @property
    def traces_file(self) -> Path:
        return self.workdir / "traces.jsonl"

    def start(self) -> None:
        """Start Prometheus, then the collector; each must answer before the next starts."""
        collector = self.collector_bin or find_collector()
        prometheus = self.prometheus_bin or find_prometheus()
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._launch(self._prometheus(prometheus), f"{self.prometheus_url}/-/ready")
            self._launch(self._collector(collector), self.health_url)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop in reverse order: the collector first, so its last push finds Prometheus."""
        while self._programs:
            self._programs.pop().stop()

    def check_alive(self) -> None:
        for program in self._programs:
            program.check_alive()

    def __enter__(self) -> NativeStack:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _launch(self, program: _Program, ready_url: str) -> None:
        self._programs.append(program)
        program.start(ready_url, self.startup_timeout)

    def _prometheus(self, binary: Path) -> _Program:
        targets = {
            "prometheus": f"{LOOPBACK}:{self.ports.prometheus}",
            "otel-collector": f"{LOOPBACK}:{self.ports.telemetry}",
            "e2e-otel-analyzer": self.analyzer_target,
        }
        config = self.workdir / "prometheus.yml"
        config.write_text(yaml.safe_dump(prometheus_config(targets, self.interval)), "utf-8")
        command = [
            str(binary),
            f"--config.file={config}",
            f"--storage.tsdb.path={self.workdir / 'prometheus-data'}",
            f"--web.listen-address={LOOPBACK}:{self.ports.prometheus}",
            "--web.enable-remote-write-receiver",
            "--enable-feature=exemplar-storage",
        ]
        return _Program("prometheus", command, self.workdir / "prometheus.log", dict(os.environ))

    def _collector(self, binary: Path) -> _Program:
        env = collector_env(self.ports, self.traces_file, self.metrics_flush_interval)
        command = [str(binary), "--config", str(COLLECTOR_CONFIG)]
        return _Program("otelcol-e2e", command, self.workdir / "otelcol.log", {**os.environ, **env})


def _up(args: argparse.Namespace) -> int:
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="e2e-otel-stack-"))
    ports = Ports.free() if args.free_ports else Ports.standard()
    for signum in (signal.SIGINT, signal.SIGTERM):  # SIGINT too: `&` in a script ignores it
        signal.signal(signum, signal.default_int_handler)
    with NativeStack(workdir, ports, interval="15s") as stack:
        print(f"collector  OTLP gRPC {stack.otlp_grpc_endpoint}, HTTP {stack.otlp_http_endpoint}")
        print(f"prometheus {stack.prometheus_url}")
        print(f"traces     {stack.traces_file} (logs and data in {workdir})")
        print(f"export OTEL_EXPORTER_OTLP_ENDPOINT={stack.otlp_http_endpoint}  # Ctrl-C stops")
        try:
            while True:
                stack.check_alive()
                time.sleep(1)
        except KeyboardInterrupt:
            print("stopping", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m e2e_otel.stack.native",
        description="The e2e-otel collector and Prometheus on loopback, without Docker.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run the collector and Prometheus until Ctrl-C")
    up.add_argument("--workdir", type=Path, help="logs, traces and data (default: a temp dir)")
    up.add_argument("--free-ports", action="store_true", help="random ports, not 4317/4318/9090")
    sub.add_parser("validate", help="check collector-config/otelcol.yaml with the collector")
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            validate(find_collector(), {})
            print(f"{COLLECTOR_CONFIG}: valid")
            return 0
        return _up(args)
    except StackError as exc:
        print(f"e2e-otel stack: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # during startup; start() has stopped what it started
        return 130


if __name__ == "__main__":
    sys.exit(main())
