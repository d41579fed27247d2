"""The processes of bench/bench_requests.py: its own venv (with the upstream distro), the OTLP
sink the traced arms export to, the shop servers and MariaDB."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "examples" / "shop"
VENV = Path(__file__).resolve().parent / ".venv-bench"
#: The bench script: its hidden --serve-sink and --profile-child modes run in child processes.
SCRIPT = Path(__file__).resolve().parent / "bench_requests.py"
VENV_PYTHON = VENV / "bin" / "python"
PIP_ARGS = ("-e", f"{ROOT}[shop]", "opentelemetry-distro==0.66b1")
PATHS = ("/api/products/1/", "/api/products/")
ARMS = ("none", "plain", "ours")
BSP_SCHEDULE_DELAY_MS = 5000  # the SDK default, set explicitly so the wait below matches it


# --------------------------------------------------------------------------- bench venv


def ensure_venv() -> None:
    """Create bench/.venv-bench with the project and opentelemetry-distro (once)."""
    marker = VENV / ".bench-requirements"
    wanted = " ".join(PIP_ARGS)
    if VENV_PYTHON.exists() and marker.exists() and marker.read_text() == wanted:
        return
    print(f"creating {VENV} (pip install {wanted})", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run([str(VENV_PYTHON), "-m", "pip", "install", "-q", *PIP_ARGS], check=True)
    marker.write_text(wanted)


def in_bench_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


# --------------------------------------------------------------------------- OTLP sink


class SinkHandler(BaseHTTPRequestHandler):
    """Answers 200 to ``POST /v1/traces`` and keeps the bodies; ``GET /stats`` sums them up."""

    bodies: ClassVar[list[bytes]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if self.path != "/v1/traces":
            self.send_error(404)
            return
        with self.lock:
            self.bodies.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        with self.lock:
            payload = json.dumps(sink_stats(self.bodies)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        return None


def sink_stats(bodies: Sequence[bytes]) -> dict[str, Any]:
    """Decoded after the run, so the sink does almost nothing while latencies are measured."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    spans: Counter[str] = Counter()
    with_layer: Counter[str] = Counter()
    names: dict[str, Counter[str]] = {}
    size: Counter[str] = Counter()
    for body in bodies:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        services = set()
        for resource_spans in request.resource_spans:
            service = next(
                (
                    a.value.string_value
                    for a in resource_spans.resource.attributes
                    if a.key == "service.name"
                ),
                "?",
            )
            services.add(service)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    spans[service] += 1
                    names.setdefault(service, Counter())[span.name] += 1
                    if any(a.key == "e2e.layer" for a in span.attributes):
                        with_layer[service] += 1
        size["+".join(sorted(services))] += len(body)
    return {
        "requests": len(bodies),
        "bytes": dict(size),
        "spans": dict(spans),
        "spans_with_e2e_layer": dict(with_layer),
        "span_names": {service: dict(counter) for service, counter in names.items()},
    }


def serve_sink(port: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), SinkHandler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def base_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment without OTel/e2e/shop settings, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_", "E2E_OTEL_", "SHOP_", "DJANGO_"))
    }
    env.update(extra)
    return env


def arm_env(arm: str, db_port: int, sink_port: int) -> dict[str, str]:
    """The environment of one arm; both traced arms get the same OTel settings."""
    env = base_env(
        {
            "DJANGO_SETTINGS_MODULE": "shop_project.settings",
            "SHOP_DB_HOST": "127.0.0.1",
            "SHOP_DB_PORT": str(db_port),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if arm == "none":
        return env
    env.update(
        {
            "OTEL_PYTHON_DISTRO": "distro" if arm == "plain" else "e2e_otel",
            "OTEL_PYTHON_CONFIGURATOR": "configurator" if arm == "plain" else "e2e_otel",
            "OTEL_SERVICE_NAME": f"shop-{arm}",
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink_port}",
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
            "OTEL_BSP_SCHEDULE_DELAY": str(BSP_SCHEDULE_DELAY_MS),
            "E2E_OTEL_CONFIG": str(SHOP / "e2e-otel.yaml"),
        }
    )
    return env


def arm_command(arm: str, command: list[str]) -> list[str]:
    if arm == "none":
        return command
    return [str(VENV / "bin" / "opentelemetry-instrument"), *command]


@dataclass
class Server:
    """One arm: the shop under runserver, traced or not."""

    arm: str
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    latencies: dict[str, list[float]] = field(default_factory=dict)
    served: int = 0  # requests answered, warm-up and readiness checks included
    cpu_start: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, db_port: int, sink_port: int) -> None:
        command = arm_command(
            self.arm,
            [str(VENV_PYTHON), "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
        )
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command,
                cwd=SHOP,
                env=arm_env(self.arm, db_port, sink_port),
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, client: Any, timeout: float = 90) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.arm} server exited early:\n{self.tail()}")
            try:
                status = client.get(self.base_url + PATHS[0]).status_code
                self.served += 1
                if status == 200:
                    return
            except httpx.TransportError:  # not listening yet
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.arm} server did not answer within {timeout}s:\n{self.tail()}")

    def cpu(self) -> float:
        """User + system CPU seconds of the server process so far."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """Ctrl-C, so the SDK flushes at exit; kill if it does not stop."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def mariadb(action: str, port: int, directory: Path, check: bool = True) -> None:
    env = {**os.environ, "E2E_MARIADB_PORT": str(port), "E2E_MARIADB_DIR": str(directory)}
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "mariadb.sh"), action], env=env, check=check, timeout=300
    )


def manage(db_port: int, *args: str) -> None:
    env = base_env({"SHOP_DB_HOST": "127.0.0.1", "SHOP_DB_PORT": str(db_port)})
    subprocess.run(
        [str(VENV_PYTHON), "manage.py", *args],
        cwd=SHOP,
        env=env,
        check=True,
        timeout=900,
        stdout=subprocess.DEVNULL,
    )
