"""Per-span cost of e2e-otel's span processors against the bare SDK, as ratios from one run.

Both arms use a ``TracerProvider`` and the same no-op counting exporter behind a
``BatchSpanProcessor``:

- ``bare``: ``TracerProvider()`` + ``BatchSpanProcessor(exporter)``;
- ``ours``: ``TracerProvider()`` + every processor of ``e2e_otel.setup.start_processors()`` +
  ``e2e_otel.setup.export_processor(exporter, Config())`` (export-stage enrichers included).

The workload looks like a Django request traced by the contrib instrumentations: a SERVER span
from ``opentelemetry.instrumentation.django`` that gets ``e2e.workflow.type``/``.id`` right after
start (as our request hook does), with N CLIENT children from
``opentelemetry.instrumentation.pymysql`` that set ``db.*`` attributes after start, cycling a few
Django ORM statements.

Per arm and round it measures (a) the wall time of creating and ending the spans on the
"request" thread and (b) the process CPU time of that plus ``force_flush()`` (which exports on
the calling thread, so our export-stage enrichment is counted). The batch processor is set up
so its worker never wakes during a batch (batches of <= 1500 spans, a long schedule delay and a
larger export batch): (a) is then not disturbed by the worker competing for the GIL, and every
span is exported in the flush. Arms are interleaved within every round, their order rotating
from round to round; medians, IQRs and ratios of medians are reported.

    python bench/bench_spans.py [--rounds N] [--children N] [--json out.json]
                                [--breakdown] [--profile]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import uuid
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)
from spans_breakdown import profile_ours, step_timings
from spans_workload import BSP_ENV, MAX_BATCH_SPANS, build_arm, measure


def summary(values: Sequence[float]) -> dict[str, float]:
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {"median": median, "q1": q1, "q3": q3, "iqr": q3 - q1}


def run_scenario(
    names: Sequence[str], sampler: Sampler, rounds: int, batches: int, children: int
) -> dict[str, Any]:
    arms = [build_arm(name, sampler) for name in names]
    requests = MAX_BATCH_SPANS // (1 + children)
    ids = [str(uuid.uuid4()) for _ in range(64)]
    for arm in arms:  # warm-up: imports, caches (fingerprints are cached per statement text)
        measure(arm, 1, requests, children, ids)
        arm.request_ns.clear()
        arm.total_cpu_ns.clear()
    for r in range(rounds):
        shift = r % len(arms)  # rotate the order: AB, BA, AB, ... (ABC, BCA, CAB, ... for more)
        for arm in arms[shift:] + arms[:shift]:
            measure(arm, batches, requests, children, ids)
    base = arms[0]
    created = (1 + rounds * batches) * requests * (1 + children)
    result: dict[str, Any] = {"arms": {}, "ratios": {}}
    for arm in arms:
        result["arms"][arm.name] = {
            "request_ns_per_span": summary(arm.request_ns),
            "total_cpu_ns_per_span": summary(arm.total_cpu_ns),
            "spans_created": created,
            "spans_exported": arm.exporter.count,
            "sampled_fraction": arm.exporter.count / created,
        }
        if arm is not base:
            result["ratios"][arm.name] = {
                "request": statistics.median(arm.request_ns) / statistics.median(base.request_ns),
                "total_cpu": statistics.median(arm.total_cpu_ns)
                / statistics.median(base.total_cpu_ns),
            }
        arm.provider.shutdown()
    return result


def machine() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def fmt_us(ns: float) -> str:
    return f"{ns / 1000:.2f}"


def print_scenario(title: str, result: dict[str, Any]) -> None:
    print(f"\n## {title}")
    print(
        "| arm | request thread µs/span: median (IQR) | total CPU µs/span: median (IQR) | sampled |"
    )
    print("|---|---|---|---|")
    for name, arm in result["arms"].items():
        req = arm["request_ns_per_span"]
        cpu = arm["total_cpu_ns_per_span"]
        print(
            f"| {name} | {fmt_us(req['median'])} ({fmt_us(req['iqr'])}) "
            f"| {fmt_us(cpu['median'])} ({fmt_us(cpu['iqr'])}) "
            f"| {arm['sampled_fraction']:.3f} |"
        )
    for name, ratio in result["ratios"].items():
        print(
            f"ratio {name}/{next(iter(result['arms']))}: request {ratio['request']:.3f}x, "
            f"total CPU {ratio['total_cpu']:.3f}x"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="interleaved rounds (>= 15)")
    parser.add_argument("--batches", type=int, default=4, help="flushed batches per arm and round")
    parser.add_argument("--children", type=int, default=10, help="database spans per request")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument(
        "--breakdown", action="store_true", help="also run each of our pieces alone on bare"
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of ours")
    args = parser.parse_args(argv)
    if args.rounds < 15:
        parser.error("--rounds must be at least 15")
    if not 1 <= args.children < MAX_BATCH_SPANS:
        parser.error(f"--children must be between 1 and {MAX_BATCH_SPANS - 1}")
    os.environ.update(BSP_ENV)

    requests = MAX_BATCH_SPANS // (1 + args.children)
    spans = requests * (1 + args.children)
    print(
        f"# bench_spans: {args.rounds} rounds x {args.batches} batches x {requests} requests "
        f"x (1 + {args.children}) spans = {spans} spans per batch; python {sys.version.split()[0]}"
    )
    results: dict[str, Any] = {
        "machine": machine(),
        "settings": {
            "rounds": args.rounds,
            "batches": args.batches,
            "children": args.children,
            "spans_per_batch": spans,
            "bsp_env": BSP_ENV,
        },
        "scenarios": {},
    }
    scenarios: list[tuple[str, str, Sequence[str], Sampler]] = [
        ("always_on", "ParentBased(ALWAYS_ON)", ["bare", "ours"], ParentBased(ALWAYS_ON)),
        (
            "ratio_0.1",
            "ParentBased(TraceIdRatioBased(0.1))",
            ["bare", "ours"],
            ParentBased(TraceIdRatioBased(0.1)),
        ),
        ("always_off", "ParentBased(ALWAYS_OFF)", ["bare", "ours"], ParentBased(ALWAYS_OFF)),
    ]
    if args.breakdown:
        scenarios.append(
            (
                "breakdown",
                "ParentBased(ALWAYS_ON), one piece at a time",
                ["bare", "+workflow", "+enrichers", "ours"],
                ParentBased(ALWAYS_ON),
            )
        )
    for key, title, names, sampler in scenarios:
        result = run_scenario(names, sampler, args.rounds, args.batches, args.children)
        result["sampler"] = title
        results["scenarios"][key] = result
        print_scenario(f"{key}: {title}", result)
    if args.profile:
        steps = step_timings()
        results["steps_us"] = steps
        print("\n## our per-span steps, timed alone (µs per call, best of 5)")
        for label, us in steps.items():
            print(f"{us:8.2f}  {label}")
        print()
        print(profile_ours(args.children, args.batches, top=25))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)
            fh.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
