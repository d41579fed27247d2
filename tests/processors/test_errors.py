from __future__ import annotations

import pytest
from opentelemetry.trace import SpanKind, Status, StatusCode

from e2e_otel import attributes as attr
from e2e_otel.processors.errors import categorize, from_exception
from tests.conftest import Pipeline
from tests.spans import attributes


class IntegrityError(Exception):
    pass


class OperationalError(Exception):
    pass


@pytest.mark.parametrize(
    ("exc_type", "message", "expected"),
    [
        (
            "pymysql.err.IntegrityError",
            "(1062, \"Duplicate entry 'x' for key 'sku'\")",
            "db_integrity",
        ),
        (
            "django.db.utils.IntegrityError",
            "(1452, 'Cannot add or update a child row')",
            "db_integrity",
        ),
        (
            "pymysql.err.OperationalError",
            '(2003, "Can\'t connect to MySQL server")',
            "db_connection",
        ),
        ("pymysql.err.OperationalError", "(1040, 'Too many connections')", "db_pool_exhausted"),
        (
            "pymysql.err.ProgrammingError",
            "(1146, \"Table 'shop.x' doesn't exist\")",
            "db_migration",
        ),
        (
            "pymysql.err.ProgrammingError",
            "(1064, 'You have an error in your SQL syntax')",
            "db_query",
        ),
        ("pymysql.err.OperationalError", "(1213, 'Deadlock found')", "db_query"),
        ("socket.timeout", "timed out", "network_timeout"),
        ("jwt.exceptions.ExpiredSignatureError", "Signature has expired", "auth_token_expired"),
        ("rest_framework.exceptions.PermissionDenied", "", "permission"),
        ("django.http.response.Http404", "", "not_found"),
        ("json.decoder.JSONDecodeError", "Expecting value", "serialization"),
        ("django.template.exceptions.TemplateDoesNotExist", "x.html", "render_failure"),
    ],
)
def test_exception_categories(exc_type: str, message: str, expected: str) -> None:
    assert from_exception(exc_type, message) == expected


@pytest.mark.parametrize(
    ("status", "kind", "expected"),
    [
        (400, SpanKind.SERVER, "validation"),
        (401, SpanKind.SERVER, "authentication"),
        (403, SpanKind.SERVER, "permission"),
        (404, SpanKind.SERVER, "not_found"),
        (422, SpanKind.SERVER, "validation"),
        (429, SpanKind.CLIENT, "throttled"),
        (500, SpanKind.SERVER, "server_error"),
        (503, SpanKind.CLIENT, "server_error"),
        (200, SpanKind.SERVER, None),
        (302, SpanKind.SERVER, None),
    ],
)
def test_status_categories(status: int, kind: SpanKind, expected: str | None) -> None:
    assert categorize([], status, kind, "api", is_error=False) == expected


def test_unclassified_errors_fall_back_by_layer() -> None:
    assert (
        categorize([("ZeroDivisionError", "")], 500, SpanKind.SERVER, "api", True) == "server_error"
    )
    assert categorize([("WeirdError", "")], None, SpanKind.CLIENT, "database", True) == "db_query"
    assert categorize([], None, SpanKind.INTERNAL, "internal", True) == "unknown"
    assert categorize([], None, SpanKind.INTERNAL, "internal", False) is None


def test_db_span_exception_recorded_after_start_is_categorized(pipeline: Pipeline) -> None:
    tracer = pipeline.provider.get_tracer("opentelemetry.instrumentation.pymysql")
    with (
        pytest.raises(IntegrityError),
        tracer.start_as_current_span("INSERT", kind=SpanKind.CLIENT) as span,
    ):
        span.set_attribute("db.statement", "INSERT INTO t (sku) VALUES (%s)")
        raise IntegrityError("(1062, \"Duplicate entry 'SKU-1' for key 'sku'\")")
    exported = pipeline.by_name("INSERT")
    assert attributes(exported)[attr.ERROR_CATEGORY] == "db_integrity"
    assert exported.status.status_code is StatusCode.ERROR


def test_successful_spans_have_no_category_and_explicit_category_wins(pipeline: Pipeline) -> None:
    tracer = pipeline.provider.get_tracer("t")
    with tracer.start_as_current_span("ok", kind=SpanKind.SERVER) as span:
        span.set_attribute("http.response.status_code", 200)
    with tracer.start_as_current_span("jwt", kind=SpanKind.SERVER) as span:
        span.set_attribute("http.status_code", 401)
        span.set_attribute(attr.ERROR_CATEGORY, "auth_token_expired")
    with tracer.start_as_current_span("failed") as span:
        span.set_status(Status(StatusCode.ERROR))
    assert attr.ERROR_CATEGORY not in attributes(pipeline.by_name("ok"))
    assert attributes(pipeline.by_name("jwt"))[attr.ERROR_CATEGORY] == "auth_token_expired"
    assert attributes(pipeline.by_name("failed"))[attr.ERROR_CATEGORY] == "unknown"


def test_every_category_produced_is_in_the_taxonomy() -> None:
    samples = [
        categorize([(t, m)], s, k, layer, e)
        for t, m in [("IntegrityError", ""), ("X", ""), ("OperationalError", "(2006, 'gone')")]
        for s in (None, 400, 401, 404, 500)
        for k in SpanKind
        for layer in ("api", "database", "frontend", None)
        for e in (True, False)
    ]
    assert {s for s in samples if s is not None} <= set(attr.ERROR_CATEGORIES)
