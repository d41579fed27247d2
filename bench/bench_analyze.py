"""Analyze a million spans from OTLP JSON: wall time and peak memory of `analyze_files`.

    python bench/bench_analyze.py [--spans 1000000] [--file /tmp/e2e-otel-1m.jsonl]
                                  [--rounds 1] [--json out.json]

The input comes from bench/gen_otlp.py (generated once, kept at --file). Every arm runs in a
fresh Python process, so each one's peak RSS is its own:

- ``read``: only `read_spans` over the file, one process, with the cyclic garbage collector
  paused as `analyze_files` pauses it: the cost of decoding OTLP JSON into span records, the
  floor for one process;
- ``analyze``: `analyze_files` as the CLI runs it (workers: one per CPU);
- ``analyze_1``: `analyze_files(workers=1)`, everything in one process.

Arms are interleaved within each round (order rotating). Reported per arm: median wall time,
peak RSS of the arm's process and of its largest worker, and the ratios against ``read``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARMS = ("read", "analyze", "analyze_1")


def run_arm(arm: str, path: Path) -> dict[str, float]:
    """Run one arm in this process (called in a fresh child) and return its figures."""
    sys.path.insert(0, str(ROOT))
    from e2e_otel.analyzers.run import analyze_files
    from e2e_otel.config import Config
    from e2e_otel.sources.otlp_files import read_spans

    started = time.perf_counter()
    if arm == "read":
        gc.disable()
        spans = sum(1 for _ in read_spans([path]))
        findings = 0
    else:
        now = datetime.now(timezone.utc)
        workers = 1 if arm == "analyze_1" else None
        report = analyze_files([path], Config(), now, workers=workers)
        spans, findings = report.spans, len(report.recommendations)
        assert report.complete, report.problems
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "spans": spans,
        "findings": findings,
    }


def measure(arm: str, path: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--arm", arm, "--file", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--file", type=Path, default=Path("/tmp/e2e-otel-1m.jsonl"))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--arm", choices=ARMS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.arm:
        print(json.dumps(run_arm(args.arm, args.file)))
        return 0
    if not args.file.exists():
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "gen_otlp.py"), "--spans", str(args.spans),
             "--out", str(args.file)],
            check=True,
        )  # fmt: skip
    size_mb = args.file.stat().st_size / 1e6
    python = sys.version.split()[0]
    print(f"input: {args.file} ({size_mb:.0f} MB), {os.cpu_count()} CPUs, Python {python}")
    runs: dict[str, list[dict[str, float]]] = {arm: [] for arm in ARMS}
    for round_number in range(args.rounds):
        order = ARMS[round_number % len(ARMS) :] + ARMS[: round_number % len(ARMS)]
        for arm in order:
            runs[arm].append(measure(arm, args.file))
            print(f"  round {round_number + 1} {arm:<10} {runs[arm][-1]['seconds']:6.2f} s")
    summary = {}
    base = statistics.median(r["seconds"] for r in runs["read"])
    print(f"\n{'arm':<10} {'median s':>9} {'x read':>7} {'peak RSS MB':>12} {'worker MB':>10}")
    for arm, results in runs.items():
        seconds = statistics.median(r["seconds"] for r in results)
        summary[arm] = {
            "seconds": seconds,
            "ratio_to_read": seconds / base,
            "rss_mb": max(r["rss_mb"] for r in results),
            "worker_rss_mb": max(r["worker_rss_mb"] for r in results),
            "spans": results[-1]["spans"],
            "findings": results[-1]["findings"],
        }
        row = summary[arm]
        print(
            f"{arm:<10} {seconds:9.2f} {row['ratio_to_read']:7.2f} {row['rss_mb']:12.0f} "
            f"{row['worker_rss_mb']:10.0f}  ({row['spans']:.0f} spans, "
            f"{row['findings']:.0f} findings)"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"input_mb": size_mb, "arms": summary, "runs": runs}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
