from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from e2e_otel import _guard
from e2e_otel import attributes as attr
from e2e_otel.config import parse_config
from e2e_otel.privacy import mask_db_values
from e2e_otel.processors.enrich import EnrichingSpanExporter, SpanDraft
from e2e_otel.processors.errors import ErrorCategoryEnricher
from e2e_otel.processors.fingerprint import FingerprintEnricher
from e2e_otel.sql.fingerprint import fingerprint, fingerprint_id
from tests.conftest import Pipeline, make_pipeline
from tests.spans import attributes

RAW = "SELECT * FROM shop_user WHERE email = 'alice@example.com' AND id = 42"


def _db_span(pipeline: Pipeline, statement: str, key: str = "db.statement") -> ReadableSpan:
    tracer = pipeline.provider.get_tracer("opentelemetry.instrumentation.pymysql")
    with tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as span:
        # The statement arrives after start, as the dbapi instrumentation sets it.
        span.set_attribute(key, statement)
        span.set_attribute("db.statement.parameters", "('alice@example.com',)")
        span.set_attribute("http.request.header.authorization", ("Bearer secret",))
    return pipeline.by_name("SELECT")


@pytest.mark.parametrize("key", ["db.statement", "db.query.text"])
def test_db_span_gets_fingerprint_and_loses_literals(pipeline: Pipeline, key: str) -> None:
    span = _db_span(pipeline, RAW, key)
    assert attributes(span)[attr.LAYER] == "database"
    assert attributes(span)[attr.DB_FINGERPRINT] == fingerprint(RAW)
    assert attributes(span)[attr.DB_FINGERPRINT_ID] == fingerprint_id(RAW)
    exported_text = str(dict(attributes(span)))
    for secret in ("alice@example.com", "42", "Bearer secret"):
        assert secret not in exported_text
    assert "shop_user" in str(attributes(span)[key])
    assert "db.statement.parameters" not in attributes(span)


def test_keep_raw_sql_opt_in_keeps_the_statement() -> None:
    p = make_pipeline(parse_config({"privacy": {"keep_raw_sql": True}}))
    span = _db_span(p, RAW)
    assert attributes(span)["db.statement"] == RAW
    assert attributes(span)[attr.DB_FINGERPRINT] == fingerprint(RAW)
    assert "http.request.header.authorization" not in attributes(span)


def test_database_error_messages_lose_quoted_values() -> None:
    message = "(1062, \"Duplicate entry 'alice@example.com' for key 'email'\")"
    assert "alice@example.com" not in mask_db_values(message)
    assert "1062" in mask_db_values(message)


def test_failing_enricher_loses_nothing(pipeline: Pipeline) -> None:
    class Broken:
        name = "broken"

        def enrich(self, draft: object) -> None:
            raise RuntimeError("boom")

    inner = pipeline.exporter
    exporter = EnrichingSpanExporter(inner, [Broken(), ErrorCategoryEnricher()])
    before = _guard.failures["enricher broken"]
    tracer = pipeline.provider.get_tracer("x")
    with tracer.start_as_current_span("s") as s:
        s.set_attribute("http.status_code", 404)
    span = pipeline.by_name("s")
    inner.clear()
    exporter.export([span])
    (out,) = inner.get_finished_spans()
    assert out.name == "s"
    assert _guard.failures["enricher broken"] == before + 1


def test_untouched_spans_pass_through_and_dropped_counts_survive() -> None:
    from opentelemetry.sdk.trace import SpanLimits, TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    raw = InMemorySpanExporter()
    provider = TracerProvider(span_limits=SpanLimits(max_span_attributes=3))
    provider.add_span_processor(SimpleSpanProcessor(raw))
    tracer = provider.get_tracer("opentelemetry.instrumentation.pymysql")
    with tracer.start_as_current_span("plain"):
        pass
    with tracer.start_as_current_span("q", kind=SpanKind.CLIENT) as span:
        span.set_attributes({"a": 1, "b": 2, "db.statement": "SELECT 1", "c": 3})
    plain, query = raw.get_finished_spans()
    out = InMemorySpanExporter()
    EnrichingSpanExporter(out, [ErrorCategoryEnricher()]).export([plain])
    assert out.get_finished_spans()[0] is plain
    EnrichingSpanExporter(out, [_FingerprintOnly()]).export([query])
    enriched = out.get_finished_spans()[1]
    assert enriched is not query
    assert enriched.dropped_attributes == query.dropped_attributes == 1
    assert attributes(enriched)[attr.DB_FINGERPRINT] == "select ?"


class _FingerprintOnly:
    name = "fp"

    def enrich(self, draft: SpanDraft) -> None:
        FingerprintEnricher().enrich(draft)


def test_url_query_values_are_masked_unless_opted_in() -> None:
    url = "http://shop/api/reports/?email=alice%40example.com&page=2"
    for keep, expected in (
        (False, "http://shop/api/reports/?email=REDACTED&page=REDACTED"),
        (True, url),
    ):
        p = make_pipeline(parse_config({"privacy": {"keep_query_values": keep}}))
        tracer = p.provider.get_tracer("opentelemetry.instrumentation.django")
        with tracer.start_as_current_span("GET", kind=SpanKind.SERVER) as span:
            span.set_attributes({"http.url": url, "url.query": "email=a%40b.c&x=1"})
        exported = attributes(p.by_name("GET"))
        assert exported["http.url"] == expected
        if not keep:
            assert exported["url.query"] == "email=REDACTED&x=REDACTED"
