"""Analyze a million spans from OTLP JSON: wall time and peak memory of `analyze_files`.

    python bench/bench_analyze.py [--spans 1000000] [--file /tmp/e2e-otel-1m.jsonl]
                                  [--rounds 1] [--arms floor,read,analyze,analyze_1]
                                  [--json out.json]

The input comes from bench/gen_otlp.py (generated once, kept at --file). Every arm runs in a
fresh Python process, so each one's peak RSS is its own:

- ``floor``: the parse floor, one process: orjson decodes every line and the spans' ids are
  grouped by trace id, nothing else (what any analysis of these files must at least pay);
- ``read``: only `read_spans` over the file, one process, with the cyclic garbage collector
  paused as `analyze_files` pauses it: the general reader (stdlib json, as `e2e-otel summary`
  reads; `analyze` takes the msgspec fast path of `e2e_otel.sources.otlp_fast`);
- ``analyze``: `analyze_files` as the CLI runs it (workers: one per CPU);
- ``analyze_1``: `analyze_files(workers=1)`, everything in one process.

Arms are interleaved within each round (order rotating). Reported per arm: median wall time,
CPU time (the arm's process and its workers: steadier than wall time on a loaded machine), peak
RSS of the arm's process and of its largest child, the peak of all the arm's processes' memory
together (``all PSS``: proportional set sizes summed, sampled every 0.1 s, so that the pages a
forked child shares with its parent count once), spans per second, and the ratios of the wall
times against ``floor`` and ``read``. A forked child's RSS counts the parent's pages it reads,
so ``worker MB`` overstates what it adds; ``all PSS`` is the figure for "all processes".
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
CHILDREN = resource.RUSAGE_CHILDREN
ARMS = ("floor", "read", "analyze", "analyze_1")


def run_arm(arm: str, path: Path) -> dict[str, float]:
    """Run one arm in this process (called in a fresh child) and return its figures."""
    sys.path.insert(0, str(ROOT))
    from e2e_otel.analyzers.run import analyze_files
    from e2e_otel.config import Config
    from e2e_otel.sources.otlp_files import read_spans

    before = _cpu_seconds()
    started = time.perf_counter()
    if arm == "floor":
        gc.disable()
        spans, findings = parse_floor(path), 0
    elif arm == "read":
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
    own, pool = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, CHILDREN))
    return {
        "seconds": seconds,
        "cpu_seconds": _cpu_seconds() - before,
        "rss_mb": own.ru_maxrss / 1024,
        "worker_rss_mb": pool.ru_maxrss / 1024,
        "spans": spans,
        "findings": findings,
    }


def _cpu_seconds() -> float:
    """User and system CPU of this process and its (finished) workers so far."""
    own, pool = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, CHILDREN))
    return own.ru_utime + own.ru_stime + pool.ru_utime + pool.ru_stime


def parse_floor(path: Path) -> int:
    """Decode every line with orjson and group the span ids by trace id; the span count."""
    import orjson

    traces: dict[str, list[str]] = {}
    spans = 0
    with path.open("rb") as lines:
        for line in lines:
            for resource_spans in orjson.loads(line)["resourceSpans"]:
                for scope_spans in resource_spans["scopeSpans"]:
                    for span in scope_spans["spans"]:
                        traces.setdefault(span["traceId"], []).append(span["spanId"])
                        spans += 1
    return spans


def measure(arm: str, path: Path) -> dict[str, float]:
    """Run one arm in a fresh process; its figures, with the peak of the summed PSS of the arm's
    process and all its descendants, sampled every 0.1 s (``pss_mb``)."""
    with subprocess.Popen(
        [sys.executable, __file__, "--arm", arm, "--file", str(path)],
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_pss_kb(process.pid))
            time.sleep(0.1)
        out = process.stdout.read() if process.stdout else ""
    if process.returncode:
        raise SystemExit(f"arm {arm} failed with exit code {process.returncode}")
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    figures["pss_mb"] = peak / 1024
    return figures


def tree_pss_kb(pid: int) -> int:
    """The summed proportional set size (kB) of ``pid`` and its descendants, now: memory
    shared between them (a forked child's pages) is counted once in all, not once per process,
    as adding up RSS would. 0 for processes that ended meanwhile."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
            with open(f"/proc/{current}/task/{current}/children") as children:
                pending.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--file", type=Path, default=Path("/tmp/e2e-otel-1m.jsonl"))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--arms", default=",".join(ARMS), help="comma-separated arms to run (floor is always run)"
    )
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
    arms = tuple(a for a in ARMS if a == "floor" or a in args.arms.split(","))
    runs: dict[str, list[dict[str, float]]] = {arm: [] for arm in arms}
    for round_number in range(args.rounds):
        order = arms[round_number % len(arms) :] + arms[: round_number % len(arms)]
        for arm in order:
            runs[arm].append(measure(arm, args.file))
            print(f"  round {round_number + 1} {arm:<10} {runs[arm][-1]['seconds']:6.2f} s")
    summary = {}
    floor = statistics.median(r["seconds"] for r in runs["floor"])
    base = statistics.median(r["seconds"] for r in runs.get("read", runs["floor"]))
    print(
        f"\n{'arm':<10} {'median s':>9} {'x floor':>8} {'x read':>7} {'spans/s':>9} "
        f"{'CPU s':>7} {'peak RSS MB':>12} {'worker MB':>10} {'all PSS MB':>11}"
    )
    for arm, results in runs.items():
        seconds = statistics.median(r["seconds"] for r in results)
        summary[arm] = {
            "seconds": seconds,
            "ratio_to_floor": seconds / floor,
            "ratio_to_read": seconds / base,
            "cpu_seconds": statistics.median(r["cpu_seconds"] for r in results),
            "spans_per_second": results[-1]["spans"] / seconds,
            "rss_mb": max(r["rss_mb"] for r in results),
            "worker_rss_mb": max(r["worker_rss_mb"] for r in results),
            "pss_mb": max(r["pss_mb"] for r in results),
            "spans": results[-1]["spans"],
            "findings": results[-1]["findings"],
        }
        row = summary[arm]
        print(
            f"{arm:<10} {seconds:9.2f} {row['ratio_to_floor']:8.2f} {row['ratio_to_read']:7.2f} "
            f"{row['spans_per_second']:9.0f} {row['cpu_seconds']:7.2f} {row['rss_mb']:12.0f} "
            f"{row['worker_rss_mb']:10.0f} {row['pss_mb']:11.0f}  ({row['spans']:.0f} spans, "
            f"{row['findings']:.0f} findings)"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"input_mb": size_mb, "arms": summary, "runs": runs}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
