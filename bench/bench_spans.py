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
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import random
import statistics
import sys
import time
import timeit
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context, trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.trace import SpanKind

from e2e_otel.config import Config
from e2e_otel.processors import EnrichingSpanExporter, SpanDraft, WorkflowSpanProcessor
from e2e_otel.setup import enrichers, export_processor, start_processors

MAX_BATCH_SPANS = 1500
# Read by every BatchSpanProcessor when it is built: the worker thread never wakes up during a
# batch (queue stays below the export batch size, schedule delay of an hour), nothing is dropped,
# and force_flush() exports the whole batch on the calling thread.
BSP_ENV = {
    "OTEL_BSP_SCHEDULE_DELAY": "3600000",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "2048",
    "OTEL_BSP_MAX_QUEUE_SIZE": "4096",
}

DJANGO_SCOPE = "opentelemetry.instrumentation.django"
PYMYSQL_SCOPE = "opentelemetry.instrumentation.pymysql"
# What Django ORM sends through PyMySQL for the demo shop's product pages.
STATEMENTS = (
    "SELECT `django_session`.`session_key`, `django_session`.`session_data`, "
    "`django_session`.`expire_date` FROM `django_session` WHERE "
    "(`django_session`.`expire_date` > %s AND `django_session`.`session_key` = %s) LIMIT 21",
    "SELECT `auth_user`.`id`, `auth_user`.`password`, `auth_user`.`last_login`, "
    "`auth_user`.`is_superuser`, `auth_user`.`username`, `auth_user`.`first_name`, "
    "`auth_user`.`last_name`, `auth_user`.`email`, `auth_user`.`is_staff`, "
    "`auth_user`.`is_active`, `auth_user`.`date_joined` FROM `auth_user` "
    "WHERE `auth_user`.`id` = %s LIMIT 21",
    "SELECT `shop_product`.`id`, `shop_product`.`sku`, `shop_product`.`name`, "
    "`shop_product`.`description`, `shop_product`.`price`, `shop_product`.`stock`, "
    "`shop_product`.`supplier_code`, `shop_product`.`category_id`, `shop_category`.`id`, "
    "`shop_category`.`name`, `shop_category`.`slug` FROM `shop_product` INNER JOIN "
    "`shop_category` ON (`shop_product`.`category_id` = `shop_category`.`id`) "
    "WHERE `shop_product`.`id` = %s LIMIT 21",
    "SELECT COUNT(*) AS `__count` FROM `shop_product`",
    "SELECT `shop_product`.`id`, `shop_product`.`sku`, `shop_product`.`name`, "
    "`shop_product`.`price`, `shop_product`.`category_id`, `shop_category`.`id`, "
    "`shop_category`.`name` FROM `shop_product` INNER JOIN `shop_category` ON "
    "(`shop_product`.`category_id` = `shop_category`.`id`) ORDER BY `shop_product`.`id` ASC "
    "LIMIT 20",
    "SELECT `shop_review`.`id`, `shop_review`.`product_id`, `shop_review`.`rating`, "
    "`shop_review`.`body`, `shop_review`.`created_at` FROM `shop_review` WHERE "
    "`shop_review`.`product_id` IN (%s, %s, %s) ORDER BY `shop_review`.`id` DESC",
)
# The Django middleware starts the server span with these (old HTTP semantic conventions).
SERVER_START_ATTRIBUTES: dict[str, Any] = {
    "http.method": "GET",
    "http.server_name": "127.0.0.1",
    "http.scheme": "http",
    "net.host.port": 8000,
    "http.host": "127.0.0.1:8000",
    "http.url": "http://127.0.0.1:8000/api/products/1/",
    "net.peer.ip": "127.0.0.1",
    "http.user_agent": "python-httpx/0.28.1",
    "http.flavor": "1.1",
}


class CountingExporter(SpanExporter):
    """Counts spans and does nothing else, so the only export cost is the arm's own."""

    def __init__(self) -> None:
        self.count = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.count += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


@dataclass
class Arm:
    name: str
    provider: TracerProvider
    exporter: CountingExporter
    request_ns: list[float] = field(default_factory=list)
    total_cpu_ns: list[float] = field(default_factory=list)

    @property
    def server_tracer(self) -> trace.Tracer:
        return self.provider.get_tracer(DJANGO_SCOPE, "0.66b1")

    @property
    def db_tracer(self) -> trace.Tracer:
        return self.provider.get_tracer(PYMYSQL_SCOPE, "0.66b1")


ProcessorFactory = Callable[[SpanExporter], list[SpanProcessor]]

ARM_PROCESSORS: dict[str, ProcessorFactory] = {
    "bare": lambda exporter: [BatchSpanProcessor(exporter)],
    "ours": lambda exporter: [*start_processors(), export_processor(exporter, Config())],
    # Ablations for --breakdown: one piece of ours at a time on top of bare.
    "+workflow": lambda exporter: [WorkflowSpanProcessor(), BatchSpanProcessor(exporter)],
    "+enrichers": lambda exporter: [export_processor(exporter, Config())],
}


class SeededIdGenerator(IdGenerator):
    """Every arm draws the same trace ids, so a ratio sampler keeps the same traces in each."""

    def __init__(self, seed: int = 1) -> None:
        self._random = random.Random(seed)

    def generate_span_id(self) -> int:
        return self._random.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self._random.getrandbits(128) or 1


def build_arm(name: str, sampler: Sampler) -> Arm:
    exporter = CountingExporter()
    provider = TracerProvider(
        sampler=sampler, id_generator=SeededIdGenerator(), shutdown_on_exit=False
    )
    for processor in ARM_PROCESSORS[name](exporter):
        provider.add_span_processor(processor)
    return Arm(name, provider, exporter)


def run_requests(arm: Arm, requests: int, children: int, ids: Sequence[str]) -> int:
    """Trace ``requests`` Django-like requests; return how many spans were sampled."""
    server = arm.server_tracer
    db = arm.db_tracer
    sampled = 0
    for i in range(requests):
        root = server.start_span(
            "GET api/products/<int:pk>/", kind=SpanKind.SERVER, attributes=SERVER_START_ATTRIBUTES
        )
        token = context.attach(trace.set_span_in_context(root))
        if root.is_recording():  # what e2e_otel.instrumentation.django.request_hook does
            root.set_attribute("e2e.workflow.type", "product_fetch")
            root.set_attribute("e2e.workflow.id", ids[i % len(ids)])
        for j in range(children):
            # What opentelemetry-instrumentation-dbapi does around cursor.execute().
            with db.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as span:
                if span.is_recording():
                    span.set_attributes(
                        {
                            "db.system": "mysql",
                            "db.name": "shop",
                            "db.statement": STATEMENTS[(i + j) % len(STATEMENTS)],
                        }
                    )
                    span.set_attribute("net.peer.name", "127.0.0.1")
                    span.set_attribute("net.peer.port", 33306)
                    span.set_attribute("db.user", "shop")
        if root.is_recording():
            root.set_attribute("http.route", "api/products/<int:pk>/")
            root.set_attribute("http.status_code", 200)
        root.end()
        context.detach(token)
        if root.get_span_context().trace_flags.sampled:
            sampled += 1 + children
    return sampled


def measure(arm: Arm, batches: int, requests: int, children: int, ids: Sequence[str]) -> None:
    """One round of one arm: ``batches`` batches, each traced then flushed."""
    spans = batches * requests * (1 + children)
    request_ns = 0
    cpu_ns = 0
    for _ in range(batches):
        gc.collect()
        before = arm.exporter.count
        cpu0 = time.process_time_ns()
        wall0 = time.perf_counter_ns()
        sampled = run_requests(arm, requests, children, ids)
        request_ns += time.perf_counter_ns() - wall0
        if not arm.provider.force_flush():
            raise RuntimeError(f"{arm.name}: force_flush failed")
        cpu_ns += time.process_time_ns() - cpu0
        exported = arm.exporter.count - before
        if exported != sampled:
            raise RuntimeError(f"{arm.name}: exporter got {exported} spans, expected {sampled}")
    arm.request_ns.append(request_ns / spans)
    arm.total_cpu_ns.append(cpu_ns / spans)


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


def profile_ours(children: int, batches: int, top: int) -> str:
    """cProfile of the ``ours`` arm (request phase + flush), top entries by own time."""
    arm = build_arm("ours", ParentBased(ALWAYS_ON))
    requests = MAX_BATCH_SPANS // (1 + children)
    ids = [str(uuid.uuid4()) for _ in range(64)]
    measure(arm, 1, requests, children, ids)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(batches):
        run_requests(arm, requests, children, ids)
        arm.provider.force_flush()
    profiler.disable()
    arm.provider.shutdown()
    spans = batches * requests * (1 + children)
    out = io.StringIO()
    print(f"cProfile of the ours arm, {spans} spans (profiler overhead inflates times)", file=out)
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats("e2e_otel", top)
    return out.getvalue()


class KeepingExporter(CountingExporter):
    def __init__(self) -> None:
        super().__init__()
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans.extend(spans)
        return super().export(spans)


def per_call_us(stmt: str, number: int = 20_000, **names: Any) -> float:
    """Best of 5 timeit repeats, in µs per execution of ``stmt``."""
    best = min(timeit.repeat(stmt, number=number, repeat=5, globals=names))
    return best / number * 1e6


def step_timings() -> dict[str, float]:
    """µs per call of each step of our per-span work, timed alone (no profiler overhead).

    The export-stage steps repeat what ``EnrichingSpanExporter._enrich`` does, one at a time,
    on a finished database span and a finished server span of the workload.
    """
    steps: dict[str, float] = {}
    # Start stage: on_start on a fresh child span whose parent carries the workflow.
    provider = TracerProvider(shutdown_on_exit=False)
    tracer = provider.get_tracer(PYMYSQL_SCOPE)
    parent = tracer.start_span("parent", kind=SpanKind.SERVER)
    parent.set_attribute("e2e.workflow.type", "product_fetch")
    parent.set_attribute("e2e.workflow.id", "abc")
    token = context.attach(trace.set_span_in_context(parent))
    new_span = "s = tracer.start_span('SELECT', kind=CLIENT)"
    (start_stage,) = start_processors()
    names: dict[str, Any] = {"tracer": tracer, "CLIENT": SpanKind.CLIENT, "start": start_stage}
    base = per_call_us(new_span, **names)
    steps["start: SDK start_span, no processors (reference)"] = base
    steps["start: WorkflowSpanProcessor.on_start"] = (
        per_call_us(new_span + "; start.on_start(s)", **names) - base
    )
    steps["start: one Span.set_attribute (reference)"] = (
        per_call_us(new_span + "; s.set_attribute('e2e.layer', 'database')", **names) - base
    )
    context.detach(token)
    # Export stage, on spans that went through our start stage.
    keep = KeepingExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    for processor in start_processors():
        provider.add_span_processor(processor)
    provider.add_span_processor(SimpleSpanProcessor(keep))
    run_requests(Arm("steps", provider, keep), 1, 1, ["abc"])
    config_enrichers = enrichers(Config())
    for label, span in (("db span", keep.spans[0]), ("server span", keep.spans[-1])):
        env: dict[str, Any] = {
            "span": span,
            "SpanDraft": SpanDraft,
            "exporter": EnrichingSpanExporter(CountingExporter(), config_enrichers),
        }
        steps[f"export {label}: EnrichingSpanExporter.export, whole"] = per_call_us(
            "exporter.export([span])", **env
        )
        draft_cost = per_call_us("SpanDraft(span)", **env)
        for enricher in config_enrichers:
            steps[f"export {label}: {enricher.name} enricher"] = (
                per_call_us("e.enrich(SpanDraft(span))", e=enricher, **env) - draft_cost
            )
    return steps


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
