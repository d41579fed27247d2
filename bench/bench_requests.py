"""Request latency of the demo shop: no tracing vs plain ``opentelemetry-instrument`` vs e2e-otel.

Three ``manage.py runserver --noreload`` processes run side by side on loopback, on one MariaDB:

- ``none``: the shop without OpenTelemetry;
- ``plain``: ``opentelemetry-instrument`` with the upstream ``opentelemetry-distro``
  (``OTEL_PYTHON_DISTRO=distro``, ``OTEL_PYTHON_CONFIGURATOR=configurator``);
- ``ours``: ``opentelemetry-instrument`` with e2e-otel (``e2e_otel``/``e2e_otel``) and the shop's
  ``e2e-otel.yaml``.

Both traced arms export OTLP http/protobuf to the same sink on 127.0.0.1 (a child process that
answers 200 and counts bytes and spans). One httpx client sends the requests, alternating between
the arms (the order rotates every round) and between the endpoints, and times them on the client.
Server CPU per request is read from /proc for each arm over the measured phase.

``opentelemetry-distro`` must not live in the project's venv (two distros make entry-point
selection ambiguous), so this bench builds its own, ``bench/.venv-bench``, on first use and
re-runs itself inside it.

    python bench/bench_requests.py [--requests N] [--json out.json]
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import os
import platform
import pstats
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
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


# --------------------------------------------------------------------------- profile

# Where the per-request difference between the traced arms can come from: our code, the contrib
# Django middleware, the SDK's span machinery, the OTLP encoder and exporter, propagators.
PROFILE_FILTER = re.compile(
    r"e2e_otel/|otel_middleware|trace_encoder|otlp/proto/common/_internal/__init__"
    r"|http/trace_exporter|instrumentation/propagators|dbapi/__init__|sdk/trace/__init__"
)
# Everything is exported by the final force_flush() on the profiled thread.
PROFILE_BSP_ENV = {
    "OTEL_BSP_SCHEDULE_DELAY": "3600000",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "8192",
    "OTEL_BSP_MAX_QUEUE_SIZE": "16384",
}


def profile_child(rounds: int, top: int = 25) -> None:
    """Inside ``opentelemetry-instrument``: the endpoints through Django's test client, in one
    thread under cProfile; prints one JSON line. Per-process noise and profiler overhead make
    its totals useless as a comparison between arms: it says where the time goes."""
    sys.path.insert(0, str(SHOP))
    import django

    django.setup()
    from django.test import Client
    from opentelemetry import trace

    client = Client()
    flush = getattr(trace.get_tracer_provider(), "force_flush", lambda: True)

    def go(n: int) -> None:
        for _ in range(n):
            for path in PATHS:
                status = client.get(path).status_code
                if status != 200:
                    raise RuntimeError(f"GET {path} answered {status}")
        flush()

    go(30)
    requests = rounds * len(PATHS)
    profiler = cProfile.Profile()
    profiler.runcall(go, rounds)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = pstats.Stats(
        profiler
    ).stats  # type: ignore[attr-defined]
    entries: list[dict[str, Any]] = []
    for (path, line, function), (_, calls, own, cumulative, _) in raw.items():
        if PROFILE_FILTER.search(path):
            short = path.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
            entries.append(
                {
                    "function": f"{short}:{line}({function})",
                    "calls_per_request": calls / requests,
                    "cum_us_per_request": cumulative * 1e6 / requests,
                    "own_us_per_request": own * 1e6 / requests,
                }
            )
    entries.sort(key=lambda e: -float(e["cum_us_per_request"]))
    # The top entries, plus every one of ours wherever it ranks.
    kept = [e for i, e in enumerate(entries) if i < top or "e2e_otel/" in e["function"]]
    total = sum(v[2] for v in raw.values()) * 1000 / requests
    print(json.dumps({"profiled_ms_per_request": total, "entries": kept}))


def profile_arms(rounds: int, db_port: int, sink_port: int) -> dict[str, Any]:
    profiles = {}
    for arm in ("plain", "ours"):
        print(f"profiling {arm} in-process ({rounds} rounds)", flush=True)
        done = subprocess.run(
            arm_command(arm, [str(VENV_PYTHON), __file__, "--profile-child", str(rounds)]),
            cwd=SHOP,
            env={**arm_env(arm, db_port, sink_port), **PROFILE_BSP_ENV},
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        profiles[arm] = json.loads(done.stdout.strip().splitlines()[-1])
    return profiles


# --------------------------------------------------------------------------- measurement


def get(client: Any, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return elapsed


def drive(
    client: Any,
    servers: Sequence[Server],
    paths: Sequence[str],
    rounds: int,
    record: bool,
    rng: random.Random,
) -> None:
    """``rounds`` rounds, each sending every path to every arm once, in a shuffled order.

    A fixed order (even one rotating the arms) lets position effects leak into the ratios: a
    request's latency depends on what the machine did just before it, and with 2 cores the
    previous request's server may still be finishing its work.
    """
    pairs = [(server, path) for path in paths for server in servers]
    for _ in range(rounds):
        rng.shuffle(pairs)
        for server, path in pairs:
            elapsed = get(client, server.base_url + path)
            server.served += 1
            if record:
                server.latencies.setdefault(path, []).append(elapsed)


def stats_ms(values: Sequence[float]) -> dict[str, float]:
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    return {
        "median": statistics.median(values) * 1000,
        "p90": deciles[8] * 1000,
        "mean": statistics.fmean(values) * 1000,
        "n": len(values),
    }


def versions() -> dict[str, str]:
    from importlib import metadata

    names = (
        "Django",
        "djangorestframework",
        "PyMySQL",
        "opentelemetry-sdk",
        "opentelemetry-distro",
        "opentelemetry-instrumentation-django",
        "opentelemetry-instrumentation-pymysql",
        "httpx",
    )
    return {name: metadata.version(name) for name in names}


def run(args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    workdir = Path(tempfile.mkdtemp(prefix="e2e-bench-requests-"))
    db_port = free_port()
    sink_port = free_port()
    servers = [Server(arm, free_port(), workdir / f"{arm}.log") for arm in ARMS]
    sink: subprocess.Popen[bytes] | None = None
    db_started = False
    try:
        print(f"mariadb on 127.0.0.1:{db_port}, seeding {args.pageviews} page views", flush=True)
        db_started = True
        mariadb("start", db_port, workdir / "mariadb")
        manage(db_port, "migrate", "--noinput")
        manage(db_port, "seed_shop", "--pageviews", str(args.pageviews))
        sink = subprocess.Popen([str(VENV_PYTHON), __file__, "--serve-sink", str(sink_port)])
        for server in servers:  # all at the same time
            server.start(db_port, sink_port)
        # A new connection per request: runserver adds ~40 ms to a reused keep-alive
        # connection (docs/demo-shop.md), which would swamp what we measure.
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(limits=limits, timeout=30, headers={"Connection": "close"}) as client:
            for server in servers:
                server.wait_ready(client)
            print(f"warm-up: {args.warmup} rounds; measuring {args.requests} rounds", flush=True)
            rng = random.Random(args.seed)
            drive(client, servers, args.paths, args.warmup, record=False, rng=rng)
            for server in servers:
                server.cpu_start = server.cpu()
            drive(client, servers, args.paths, args.requests, record=True, rng=rng)
            # Let the batch processors export what the measured requests produced.
            time.sleep(BSP_SCHEDULE_DELAY_MS / 1000 + 1.5)
            for server in servers:
                server.cpu_seconds = server.cpu() - server.cpu_start
            for server in servers:
                server.stop()
            time.sleep(0.5)
            exported = client.get(f"http://127.0.0.1:{sink_port}/stats").json()
        profiles = profile_arms(args.profile, db_port, sink_port) if args.profile else {}
    finally:
        for server in servers:
            server.stop()
        if sink is not None:
            sink.terminate()
            sink.wait(timeout=10)
        if db_started:
            mariadb("stop", db_port, workdir / "mariadb", check=False)
        shutil.rmtree(workdir, ignore_errors=True)
    result = report(args, servers, exported)
    if profiles:
        result["profiles"] = profiles
    return result


def report(args: argparse.Namespace, servers: Sequence[Server], exported: Any) -> dict[str, Any]:
    by_arm = {s.arm: s for s in servers}
    spans = exported["spans"]
    with_layer = exported["spans_with_e2e_layer"]
    # The comparison means nothing unless each arm ran the distro it claims to.
    if not spans.get("shop-plain") or not spans.get("shop-ours"):
        raise RuntimeError(f"a traced arm exported nothing: {exported}")
    if with_layer.get("shop-plain") or with_layer.get("shop-ours") != spans["shop-ours"]:
        raise RuntimeError(f"e2e.layer is not where it should be: {exported}")
    result: dict[str, Any] = {
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "versions": versions(),
        },
        "settings": {
            "requests_per_arm_and_path": args.requests,
            "warmup_rounds": args.warmup,
            "pageviews": args.pageviews,
            "paths": list(args.paths),
            "seed": args.seed,
        },
        "exported": exported,
        "spans_per_request": {
            arm: spans.get(f"shop-{arm}", 0) / by_arm[arm].served for arm in ("plain", "ours")
        },
        "paths": {},
        "server_cpu_ms_per_request": {
            s.arm: s.cpu_seconds * 1000 / (args.requests * len(args.paths)) for s in servers
        },
    }
    for path in args.paths:
        arms = {arm: stats_ms(by_arm[arm].latencies[path]) for arm in ARMS}
        result["paths"][path] = {
            "arms": arms,
            "ratios": {
                "ours/plain": arms["ours"]["median"] / arms["plain"]["median"],
                "plain/none": arms["plain"]["median"] / arms["none"]["median"],
                "ours/none": arms["ours"]["median"] / arms["none"]["median"],
                "ours/plain p90": arms["ours"]["p90"] / arms["plain"]["p90"],
            },
        }
    cpu = result["server_cpu_ms_per_request"]
    result["server_cpu_ratios"] = {
        "ours/plain": cpu["ours"] / cpu["plain"],
        "plain/none": cpu["plain"] / cpu["none"],
    }
    return result


def print_report(result: dict[str, Any]) -> None:
    for path, data in result["paths"].items():
        print(f"\n## GET {path}")
        print("| arm | median ms | p90 ms | mean ms | n |")
        print("|---|---|---|---|---|")
        for arm, s in data["arms"].items():
            print(f"| {arm} | {s['median']:.2f} | {s['p90']:.2f} | {s['mean']:.2f} | {s['n']} |")
        print(", ".join(f"{k} {v:.3f}x" for k, v in data["ratios"].items()))
    cpu = result["server_cpu_ms_per_request"]
    print("\n## server CPU per request (both paths, incl. the batch exporter thread)")
    print(", ".join(f"{arm} {ms:.2f} ms" for arm, ms in cpu.items()))
    print(", ".join(f"{k} {v:.3f}x" for k, v in result["server_cpu_ratios"].items()))
    for arm, profile in result.get("profiles", {}).items():
        print(
            f"\n## in-process cProfile, {arm}: {profile['profiled_ms_per_request']:.3f} ms per "
            "request under the profiler (inflated; for where the time goes, not for ratios)"
        )
        print("| µs/request cumulative | own | calls/request | function |")
        print("|---|---|---|---|")
        for e in profile["entries"]:
            print(
                f"| {e['cum_us_per_request']:.1f} | {e['own_us_per_request']:.1f} "
                f"| {e['calls_per_request']:.1f} | `{e['function']}` |"
            )
    exported = result["exported"]
    print(
        f"\nsink: {exported['requests']} OTLP requests, bytes {exported['bytes']}, "
        f"spans {exported['spans']}, with e2e.layer {exported['spans_with_e2e_layer']}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="per arm and path")
    parser.add_argument("--warmup", type=int, default=30, help="unrecorded rounds first")
    parser.add_argument(
        "--paths", nargs="+", default=list(PATHS), help="GET paths, in the order they are sent"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the request order")
    parser.add_argument("--pageviews", type=int, default=20_000, help="seed_shop --pageviews")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument(
        "--profile",
        type=int,
        metavar="ROUNDS",
        default=0,
        help="afterwards, cProfile ROUNDS in-process rounds of plain and ours (e.g. 300)",
    )
    parser.add_argument("--serve-sink", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--profile-child", type=int, metavar="ROUNDS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_sink is not None:
        serve_sink(args.serve_sink)
        return 0
    if args.profile_child is not None:
        profile_child(args.profile_child)
        return 0
    if args.requests < 10:
        parser.error("--requests must be at least 10")
    if not in_bench_venv():
        ensure_venv()
        rest = sys.argv[1:] if argv is None else list(argv)
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *rest])
    result = run(args)
    print_report(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
