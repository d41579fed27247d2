"""Spans exported by other OpenTelemetry instrumentations (Node's http/express/mysql2, Flask
with SQLAlchemy), without our enrichment: no e2e.layer, e2e.error.category or fingerprint."""

from __future__ import annotations

from e2e_otel.analyzers import error_hotspots
from e2e_otel.analyzers.builder import NO_ROUTE
from e2e_otel.sources.models import AttributeValue, SpanEvent, SpanRecord
from tests.analyzers.conftest import Trace, dataset, ns, run

MISSING = "SELECT * FROM missing_table WHERE id = 1"


def _server(
    trace: Trace,
    name: str,
    attributes: dict[str, AttributeValue],
    *,
    error: bool = False,
    events: tuple[SpanEvent, ...] = (),
) -> SpanRecord:
    span = SpanRecord(
        trace_id=trace.trace_id,
        span_id=f"{len(trace.spans) + 1:016x}",
        parent_span_id=None,
        name=name,
        kind="server",
        start_ns=ns(0),
        end_ns=ns(5),
        status="error" if error else "unset",
        attributes=attributes,
        service_name="node-shop",
        scope_name="@opentelemetry/instrumentation-http",
        events=events,
    )
    trace.spans.append(span)
    return span


def _db(trace: Trace, parent: SpanRecord, statement: str, *, error: bool) -> None:
    trace.spans.append(
        SpanRecord(
            trace_id=trace.trace_id,
            span_id=f"{len(trace.spans) + 1:016x}",
            parent_span_id=parent.span_id,
            name="SELECT",
            kind="client",
            start_ns=ns(1),
            end_ns=ns(2),
            status="error" if error else "unset",
            attributes={"db.system.name": "mysql", "db.query.text": statement},
            service_name="node-shop",
            scope_name="@opentelemetry/instrumentation-mysql2",
        )
    )


def _new_semconv(path: str, status: int, route: str | None) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {
        "http.request.method": "GET",
        "url.path": path,
        "http.response.status_code": status,
    }
    if route:
        attributes["http.route"] = route
    return attributes


def test_failed_requests_and_queries_without_a_category_are_categorized() -> None:
    traces = []
    for _ in range(3):
        trace = Trace()  # a 500 answered by the handler, its failed query handled there
        server = _server(trace, "GET /api/broken", _new_semconv("/api/broken", 500, "/api/broken"))
        _db(trace, server, MISSING, error=True)
        traces.append(trace)
    flask = Trace()  # Flask: the exception recorded on the server span, old conventions
    exception = SpanEvent(
        "exception",
        ns(4),
        {"exception.type": "sqlalchemy.exc.ProgrammingError", "exception.message": "(1146, …)"},
    )
    old: dict[str, AttributeValue] = {
        "http.method": "GET",
        "http.route": "/api/flask",
        "http.status_code": 500,
    }
    server = _server(flask, "GET /api/flask", old, error=True, events=(exception,))
    _db(flask, server, MISSING, error=False)
    missing = Trace()
    _server(missing, "GET", _new_semconv("/nope", 404, None))
    ds = dataset(span for t in [*traces, flask, missing] for span in t.spans)
    assert [(e.route, e.category) for e in ds.entries[-2:]] == [
        ("/api/flask", "db_migration"),  # MySQL error 1146
        (NO_ROUTE, "not_found"),
    ]
    assert ds.entries[0].category == "server_error"
    assert {ds.text(c) for c in ds.db_category} == {"db_query", ""}
    rows = run(error_hotspots.analyze, [*traces, flask, missing]).sections[0].rows
    assert {(row[0], row[1]) for row in rows} >= {
        ("server_error", "GET /api/broken"),
        ("not_found", f"GET {NO_ROUTE}"),
        ("db_migration", "GET /api/flask"),
    }


def test_a_request_without_a_route_is_one_endpoint_not_one_per_url() -> None:
    spans = []
    cases: list[tuple[str, dict[str, AttributeValue]]] = [
        ("GET", _new_semconv("/nope", 404, None)),  # Node http
        ("GET /wp-login.php", _new_semconv("/wp-login.php", 404, None)),  # Flask
        ("HTTP GET", {"http.method": "GET", "http.target": "/x?a=1", "http.status_code": 404}),
        ("GET /x", {"http.method": "GET", "http.target": "/x?a=1", "http.status_code": 404}),
        ("GET products", _new_semconv("/p/1", 200, None)),  # a named span: kept
        ("send_email", {}),  # a consumer's name, no method: kept
    ]
    for name, attributes in cases:
        trace = Trace()
        _server(trace, name, attributes)
        spans.extend(trace.spans)
    routes = [entry.route for entry in dataset(spans).entries]
    assert routes == [NO_ROUTE] * 4 + ["GET products", "send_email"]
