from __future__ import annotations

from opentelemetry.trace import SpanKind

from e2e_otel import attributes as attr
from e2e_otel.processors.layer import classify
from tests.conftest import Pipeline
from tests.spans import attributes


def test_layers_from_scope_and_kind(pipeline: Pipeline) -> None:
    provider = pipeline.provider
    cases = {
        "db": (provider.get_tracer("opentelemetry.instrumentation.pymysql"), SpanKind.CLIENT),
        "dbapi": (provider.get_tracer("opentelemetry.instrumentation.dbapi"), SpanKind.CLIENT),
        "server": (provider.get_tracer("opentelemetry.instrumentation.django"), SpanKind.SERVER),
        "outgoing": (
            provider.get_tracer("opentelemetry.instrumentation.requests"),
            SpanKind.CLIENT,
        ),
        "custom": (provider.get_tracer("myapp"), SpanKind.INTERNAL),
    }
    for name, (tracer, kind) in cases.items():
        with tracer.start_as_current_span(name, kind=kind):
            pass
    got = {name: attributes(pipeline.by_name(name))[attr.LAYER] for name in cases}
    assert got == {
        "db": "database",
        "dbapi": "database",
        "server": "api",
        "outgoing": "external",
        "custom": "internal",
    }


def test_db_system_at_start_and_explicit_layer_win(pipeline: Pipeline) -> None:
    tracer = pipeline.provider.get_tracer("handwritten")
    with tracer.start_as_current_span("q", kind=SpanKind.CLIENT, attributes={"db.system": "mysql"}):
        pass
    with tracer.start_as_current_span("fe", attributes={attr.LAYER: "frontend"}):
        pass
    assert attributes(pipeline.by_name("q"))[attr.LAYER] == "database"
    assert attributes(pipeline.by_name("fe"))[attr.LAYER] == "frontend"


def test_classify_is_total() -> None:
    for kind in SpanKind:
        assert classify("", kind, False) in attr.LAYERS
