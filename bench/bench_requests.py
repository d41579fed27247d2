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
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from requests_env import (
    ARMS,
    BSP_SCHEDULE_DELAY_MS,
    PATHS,
    SCRIPT,
    VENV_PYTHON,
    Server,
    ensure_venv,
    free_port,
    in_bench_venv,
    manage,
    mariadb,
    serve_sink,
)
from requests_profile import profile_arms, profile_child

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
        sink = subprocess.Popen([str(VENV_PYTHON), str(SCRIPT), "--serve-sink", str(sink_port)])
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
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(SCRIPT), *rest])
    result = run(args)
    print_report(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
