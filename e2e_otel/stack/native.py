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
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import yaml

from e2e_otel.stack.native_config import (
    COLLECTOR_CONFIG,
    LOOPBACK,
    Ports,
    StackError,
    collector_env,
    find_collector,
    find_prometheus,
    prometheus_config,
    validate,
)

__all__ = [
    "NativeStack",
    "StackError",
    "find_collector",
    "find_prometheus",
]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Program:
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


_Stack = TypeVar("_Stack", bound="Programs")


class Programs:
    """Programs started in order and stopped in reverse (the stacks below): a subclass keeps
    them in ``_programs`` and has a ``startup_timeout`` and a ``start()``."""

    _programs: list[Program]
    startup_timeout: float

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        """Stop in reverse order of start (a sender before what it sends to)."""
        while self._programs:
            self._programs.pop().stop()

    def check_alive(self) -> None:
        for program in self._programs:
            program.check_alive()

    def __enter__(self: _Stack) -> _Stack:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _launch(self, program: Program, ready_url: str) -> None:
        self._programs.append(program)
        program.start(ready_url, self.startup_timeout)


def prometheus_program(
    binary: Path,
    workdir: Path,
    port: int,
    targets: dict[str, str],
    interval: str,
    flags: Sequence[str] = (),
) -> Program:
    """Debian's Prometheus on loopback ``port`` with a copy of prometheus/prometheus.yml whose
    scrape jobs point at ``targets``, data and log in ``workdir``, as remote-write receiver."""
    config = workdir / "prometheus.yml"
    config.write_text(yaml.safe_dump(prometheus_config(targets, interval)), "utf-8")
    command = [
        str(binary),
        f"--config.file={config}",
        f"--storage.tsdb.path={workdir / 'prometheus-data'}",
        f"--web.listen-address={LOOPBACK}:{port}",
        "--web.enable-remote-write-receiver",
        *flags,
    ]
    return Program("prometheus", command, workdir / "prometheus.log", dict(os.environ))


@dataclass
class NativeStack(Programs):
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
    _programs: list[Program] = field(default_factory=list, init=False, repr=False)

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

    def _prometheus(self, binary: Path) -> Program:
        targets = {
            "prometheus": f"{LOOPBACK}:{self.ports.prometheus}",
            "otel-collector": f"{LOOPBACK}:{self.ports.telemetry}",
            "e2e-otel-analyzer": self.analyzer_target,
        }
        flags = ["--enable-feature=exemplar-storage"]
        port = self.ports.prometheus
        return prometheus_program(binary, self.workdir, port, targets, self.interval, flags)

    def _collector(self, binary: Path) -> Program:
        env = collector_env(self.ports, self.traces_file, self.metrics_flush_interval)
        command = [str(binary), "--config", str(COLLECTOR_CONFIG)]
        return Program("otelcol-e2e", command, self.workdir / "otelcol.log", {**os.environ, **env})


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
        if not args.free_ports:
            # The standard OTLP ports are every SDK's default endpoint: say who else may send.
            print(
                "note: on the standard OTLP ports (4317/4318) this collector also receives the "
                "spans of any other local process whose OTLP exporter uses the default "
                "endpoint; --free-ports avoids that"
            )
        try:
            while True:
                stack.check_alive()
                time.sleep(1)
        except KeyboardInterrupt:
            print("stopping", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None, prog: str = "python -m e2e_otel.stack.native") -> int:
    parser = argparse.ArgumentParser(
        prog=prog,
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
