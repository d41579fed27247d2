"""Where the per-span time of bench/bench_spans.py's ``ours`` arm goes: a cProfile of the
arm, and each step of our per-span work timed alone (``--profile``, ``--breakdown``)."""

from __future__ import annotations

import cProfile
import io
import pstats
import timeit
import uuid
from collections.abc import Sequence
from typing import Any

from opentelemetry import context, trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased
from opentelemetry.trace import SpanKind
from spans_workload import (
    MAX_BATCH_SPANS,
    PYMYSQL_SCOPE,
    Arm,
    CountingExporter,
    build_arm,
    measure,
    run_requests,
)

from e2e_otel.config import Config
from e2e_otel.processors import EnrichingSpanExporter, SpanDraft
from e2e_otel.setup import enrichers, start_processors


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
