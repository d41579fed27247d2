from __future__ import annotations

import threading

from opentelemetry import baggage, context, trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from e2e_otel import attributes as attr
from e2e_otel.config import parse_config
from tests.conftest import Pipeline, make_pipeline
from tests.spans import attributes


def _remote_parent(ctx: context.Context | None = None) -> context.Context:
    remote = SpanContext(trace_id=0xABC, span_id=0xDEF, is_remote=True, trace_flags=TraceFlags(1))
    return trace.set_span_in_context(NonRecordingSpan(remote), ctx)


def test_descendants_inherit_workflow_from_the_entry_span(pipeline: Pipeline) -> None:
    tracer = pipeline.provider.get_tracer("test")
    with tracer.start_as_current_span("request", kind=trace.SpanKind.SERVER) as root:
        root.set_attribute(attr.WORKFLOW_TYPE, "checkout")
        root.set_attribute(attr.WORKFLOW_ID, "corr-1")
        with tracer.start_as_current_span("view"), tracer.start_as_current_span("SELECT"):
            pass
    for name in ("view", "SELECT"):
        span = pipeline.by_name(name)
        assert attributes(span)[attr.WORKFLOW_TYPE] == "checkout"
        assert attributes(span)[attr.WORKFLOW_ID] == "corr-1"


def test_workflow_comes_from_baggage_of_a_remote_parent(pipeline: Pipeline) -> None:
    ctx = baggage.set_baggage(attr.BAGGAGE_WORKFLOW_TYPE, "login")
    ctx = baggage.set_baggage(attr.BAGGAGE_WORKFLOW_ID, "abc-123", ctx)
    tracer = pipeline.provider.get_tracer("test")
    with tracer.start_as_current_span("request", context=_remote_parent(ctx)):
        pass
    span = pipeline.by_name("request")
    assert attributes(span)[attr.WORKFLOW_TYPE] == "login"
    assert attributes(span)[attr.WORKFLOW_ID] == "abc-123"


def test_malformed_or_unlisted_baggage_values_are_not_copied() -> None:
    p = make_pipeline(parse_config({"workflows": {"allow_unlisted": False, "names": ["login"]}}))
    ctx = baggage.set_baggage(attr.BAGGAGE_WORKFLOW_TYPE, "Robert'); DROP TABLE--")
    ctx = baggage.set_baggage(attr.BAGGAGE_WORKFLOW_ID, "x" * 500, ctx)
    tracer = p.provider.get_tracer("test")
    with tracer.start_as_current_span("bad", context=_remote_parent(ctx)):
        pass
    ctx = baggage.set_baggage(attr.BAGGAGE_WORKFLOW_TYPE, "exfiltrate")
    with tracer.start_as_current_span("unlisted", context=_remote_parent(ctx)):
        pass
    assert attr.WORKFLOW_TYPE not in attributes(p.by_name("bad"))
    assert attr.WORKFLOW_ID not in attributes(p.by_name("bad"))
    assert attr.WORKFLOW_TYPE not in attributes(p.by_name("unlisted"))


def test_spans_outside_any_workflow_get_no_workflow(pipeline: Pipeline) -> None:
    with pipeline.provider.get_tracer("test").start_as_current_span("cron"):
        pass
    assert attr.WORKFLOW_ID not in attributes(pipeline.by_name("cron"))


def test_concurrent_requests_do_not_leak_workflows(pipeline: Pipeline) -> None:
    tracer = pipeline.provider.get_tracer("test")

    def request(n: int) -> None:
        with tracer.start_as_current_span(f"req-{n}") as root:
            root.set_attribute(attr.WORKFLOW_ID, f"id-{n}")
            for i in range(20):
                with tracer.start_as_current_span(f"child-{n}-{i}"):
                    pass

    threads = [threading.Thread(target=request, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for span in pipeline.spans():
        n = span.name.split("-")[1]
        assert attributes(span)[attr.WORKFLOW_ID] == f"id-{n}"


def test_processor_failures_are_counted_never_raised() -> None:
    from e2e_otel import _guard
    from e2e_otel.processors import WorkflowSpanProcessor

    class Hostile:
        @property
        def attributes(self) -> dict[str, str]:
            raise RuntimeError("broken span")

    before = _guard.failures["workflow processor"]
    WorkflowSpanProcessor().on_start(Hostile())  # type: ignore[arg-type]
    assert _guard.failures["workflow processor"] == before + 1


def test_the_processor_uses_the_configuration_it_is_given_not_the_process_default() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from e2e_otel.processors import WorkflowSpanProcessor

    strict = parse_config({"workflows": {"allow_unlisted": False, "names": ["login"]}})
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(WorkflowSpanProcessor(strict.workflows))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    for name in ("login", "exfiltrate"):
        ctx = baggage.set_baggage(attr.BAGGAGE_WORKFLOW_TYPE, name)
        with tracer.start_as_current_span(name, context=_remote_parent(ctx)):
            pass
    types = {s.name: attributes(s).get(attr.WORKFLOW_TYPE) for s in exporter.get_finished_spans()}
    assert types == {"login": "login", "exfiltrate": None}
