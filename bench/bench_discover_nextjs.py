"""`discover nextjs` throughput: the full scan against the parse it cannot avoid, one run.

    python bench/bench_discover_nextjs.py [PATH] [--copies 40] [--rounds 3] [--json out.json]

``PATH`` is a Next.js app (a checkout of a real one is the realistic case). Without it, the
two fixture apps (``tests/fixtures/nextjs-shop`` and ``nextjs-patterns``) are copied
``--copies`` times side by side into a temporary app: many small, dense files, so that
figure is kinder than a real app's. Two arms, interleaved within each round (order
rotating):

- ``parse``: read every source file the scan would read and parse it with tree-sitter,
  nothing else: the floor of any scan;
- ``scan``: ``e2e_otel.discovery.nextjs.scan`` as the CLI runs it (routes, imports, calls,
  wrappers, React contexts).

Reported per arm: median and best CPU time (``process_time``, which other work on a shared
machine disturbs less than the wall clock) and wall time, files per second of CPU, and the
ratio scan / parse of the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from e2e_otel.discovery import tsparse
from e2e_otel.discovery.nextjs import scan
from e2e_otel.discovery.nextjs_files import minified, not_source, source_files

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ("nextjs-shop", "nextjs-patterns")


def synthetic_app(target: Path, copies: int) -> Path:
    """Both fixture apps' ``src/`` trees, ``copies`` times, under one ``src/app``."""
    for index in range(copies):
        for name in FIXTURES:
            source = ROOT / "tests" / "fixtures" / name / "src"
            shutil.copytree(source, target / "src" / "app" / f"{name}-{index}")
    (target / "package.json").write_text('{"name": "synthetic"}\n', encoding="utf-8")
    return target


def parse_only(app: Path) -> int:
    """Read and parse what the scan would; the number of files parsed."""
    parsed = 0
    for rel in source_files(app):
        if not_source(rel) is not None:
            continue
        source = (app / rel).read_bytes()
        if minified(source):
            continue
        tsparse.parse(source, os.path.splitext(rel)[1])
        parsed += 1
    return parsed


def full_scan(app: Path) -> int:
    return scan(app).files


def measure(arm: Callable[[Path], int], app: Path) -> tuple[int, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    files = arm(app)
    return files, time.process_time() - cpu, time.perf_counter() - wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", help="a Next.js app (default: synthetic)")
    parser.add_argument("--copies", type=int, default=40, help="synthetic app: fixture copies")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", metavar="PATH", help="also write the figures here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-nextjs-") as temp:
        app = Path(args.path) if args.path else synthetic_app(Path(temp), args.copies)
        arms: dict[str, Callable[[Path], int]] = {"parse": parse_only, "scan": full_scan}
        cpu: dict[str, list[float]] = {name: [] for name in arms}
        wall: dict[str, list[float]] = {name: [] for name in arms}
        files = {name: 0 for name in arms}
        for round_index in range(args.rounds):
            order = list(arms)[round_index % 2 :] + list(arms)[: round_index % 2]
            for name in order:
                files[name], spent, elapsed = measure(arms[name], app)
                cpu[name].append(spent)
                wall[name].append(elapsed)
        lines = sum(
            (app / rel).read_bytes().count(b"\n") + 1
            for rel in source_files(app)
            if not_source(rel) is None
        )
    result: dict[str, object] = {
        "app": args.path or f"synthetic ({args.copies} copies of {', '.join(FIXTURES)})",
        "files": files["scan"],
        "lines": lines,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "rounds": args.rounds,
    }
    print(f"{result['app']}: {files['scan']} files, {lines} lines, {args.rounds} rounds")
    for name in arms:
        median = statistics.median(cpu[name])
        result[name] = {
            "cpu_median_s": round(median, 3),
            "cpu_best_s": round(min(cpu[name]), 3),
            "wall_median_s": round(statistics.median(wall[name]), 3),
            "files_per_cpu_s": round(files[name] / median) if median else None,
        }
        print(
            f"  {name:<5}  cpu median {median:7.2f} s (best {min(cpu[name]):.2f})  "
            f"wall median {statistics.median(wall[name]):7.2f} s  "
            f"{files[name] / median if median else 0:7.0f} files/s"
        )
    ratio = statistics.median(cpu["scan"]) / statistics.median(cpu["parse"])
    result["scan_over_parse"] = round(ratio, 2)
    print(f"  scan / parse (cpu medians): {ratio:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
