"""Where a request's time goes in the traced arms of bench/bench_requests.py (``--profile``):
the endpoints through Django's test client under cProfile, inside opentelemetry-instrument."""

from __future__ import annotations

import cProfile
import json
import pstats
import re
import subprocess
import sys
from typing import Any

from requests_env import PATHS, ROOT, SCRIPT, SHOP, VENV_PYTHON, arm_command, arm_env

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
            arm_command(arm, [str(VENV_PYTHON), str(SCRIPT), "--profile-child", str(rounds)]),
            cwd=SHOP,
            env={**arm_env(arm, db_port, sink_port), **PROFILE_BSP_ENV},
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        profiles[arm] = json.loads(done.stdout.strip().splitlines()[-1])
    return profiles
