"""Requests made of real SDK spans through e2e-otel's processors (tests/conftest.py's
pipeline), read back as the plugin reads them."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context

from e2e_otel.config import Config, parse_config
from e2e_otel.sources.models import SpanRecord
from e2e_otel.testing.records import records
from e2e_otel.testing.trace import Trace
from tests.conftest import Pipeline

MS = 1_000_000
T0 = 1_700_000_000_000_000_000


def request(
    pipeline: Pipeline,
    route: str,
    statements: Sequence[str] = (),
    *,
    workflow: str = "things",
    correlation_id: str = "c-1",
    start: int = T0,
    duration_ms: float = 20.0,
    status: int = 200,
) -> None:
    """One server span with one database span per statement, one after the other."""
    server = pipeline.provider.get_tracer("opentelemetry.instrumentation.django")
    db = pipeline.provider.get_tracer("opentelemetry.instrumentation.pymysql")
    span = server.start_span(
        f"GET {route}",
        kind=SpanKind.SERVER,
        start_time=start,
        attributes={
            "e2e.workflow.type": workflow,
            "e2e.workflow.id": correlation_id,
            "http.route": route,
            "http.request.method": "GET",
            "http.response.status_code": status,
        },
    )
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))
    context = set_span_in_context(span)
    at = start + MS
    for statement in statements:
        query = db.start_span(
            statement.split()[0].upper(),
            context=context,
            kind=SpanKind.CLIENT,
            start_time=at,
            attributes={"db.system": "mysql", "db.statement": statement},
        )
        query.end(end_time=at + MS // 2)
        at += MS
    span.end(end_time=start + int(duration_ms * MS))


def captured(pipeline: Pipeline) -> tuple[SpanRecord, ...]:
    return records(pipeline.spans())


def trace_of(pipeline: Pipeline, config: Config | None = None) -> Trace:
    return Trace(captured(pipeline), "workflow 'things'", config or parse_config({}))


def n_plus_one(rows: int) -> list[str]:
    """A list query, then one query per row."""
    return [
        "SELECT id FROM thing",
        *(f"SELECT * FROM part WHERE thing_id = {i}" for i in range(rows)),
    ]
