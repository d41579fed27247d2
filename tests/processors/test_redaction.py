"""Redaction at the export stage: secret-looking headers, database error text wherever it lands
(exception events, status descriptions), and the SDK's dropped counts kept through it."""

from __future__ import annotations

import os

import pytest
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from e2e_otel.config import Config
from e2e_otel.privacy import SECRET_HEADER_WORDS, is_secret_header, mask_db_values
from e2e_otel.setup import export_processor
from tests.conftest import Pipeline
from tests.spans import attributes

# Real MySQL 8 / MariaDB message templates, with a planted value that must never be exported.
V = "s3cr3t-v@lue"
MESSAGES = [
    f"(1062, \"Duplicate entry '{V}' for key 'auth_user.username'\")",
    f"(1062, \"Duplicate entry '{V}-it's' for key 'username'\")",
    '(1064, "You have an error in your SQL syntax; check the manual that corresponds to your '
    f"MariaDB server version for the right syntax to use near 'WHERE sku = '{V}' LIMIT 1' at "
    'line 1")',
    # repr() of a message holding both quote kinds escapes the single quotes.
    f"(1064, 'You have an error ... near \\'WHERE a = \\'{V}\"x\\'\\' at line 1')",
    f"(1292, \"Truncated incorrect DOUBLE value: '{V}'\")",
    f"(1292, \"Incorrect datetime value: '{V}' for column `shop`.`t`.`at` at row 1\")",
    f"(1366, \"Incorrect integer value: '{V}' for column 'quantity' at row 1\")",
    f"(1366, \"Incorrect string value: '{V}' for column `db`.`t`.`name` at row 1\")",
    f"(1411, \"Incorrect datetime value: '{V}' for function str_to_date\")",
    f"(1300, \"Invalid utf8mb4 character string: '{V}'\")",
    # A multi-line statement fragment, as in a traceback's last lines.
    f"ProgrammingError: (1064, \"... near 'WHERE x = '{V}'\nAND y = 1' at line 2\")\n\nThe "
    "above exception was the direct cause of the following exception:",
]


@pytest.mark.parametrize("message", MESSAGES)
def test_database_values_are_masked_and_the_error_stays_readable(message: str) -> None:
    masked = mask_db_values(message)
    assert V not in masked
    assert "'?'" in masked
    code = message.split("(", 1)[1][:4]
    assert code in masked


def test_identifiers_and_plain_text_are_kept() -> None:
    text = "(1048, \"Column 'email' cannot be null\")"
    assert mask_db_values(text) == text
    assert mask_db_values("ValueError: bad input") == "ValueError: bad input"


@pytest.mark.parametrize(
    "header",
    ["Authorization", "X-CSRFToken", "x_csrftoken", "X-Auth-Token", "X-Password", "X-Passwd",
     "Cookie", "Set-Cookie", "X-Api-Key", "X-Session-Id", "X-Hub-Signature-256", "X-Secret"],
)  # fmt: skip
def test_secret_looking_headers(header: str) -> None:
    assert is_secret_header(header)


@pytest.mark.parametrize("header", ["Accept", "User-Agent", "X-Request-Source", "Content-Type"])
def test_ordinary_headers(header: str) -> None:
    assert not is_secret_header(header)


def test_distro_asks_the_instrumentations_to_sanitize_the_same_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from e2e_otel.distro import E2EOtelDistro

    for name in [k for k in os.environ if k.startswith("OTEL_")] + [
        "OTEL_TRACES_EXPORTER",
        "OTEL_METRICS_EXPORTER",
        "OTEL_LOGS_EXPORTER",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_PROPAGATORS",
    ]:
        monkeypatch.delenv(name, raising=False)  # restored after the test: the distro sets them
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS", "x-mine")
    E2EOtelDistro()._configure()
    fields = os.environ["OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS"].split(",")
    assert fields == ["x-mine", *SECRET_HEADER_WORDS]


def test_captured_secret_headers_are_dropped_and_others_kept(pipeline: Pipeline) -> None:
    tracer = pipeline.provider.get_tracer("opentelemetry.instrumentation.django")
    with tracer.start_as_current_span("GET", kind=SpanKind.SERVER) as span:
        span.set_attributes(
            {
                "http.request.header.x_csrftoken": (V,),
                "http.request.header.x_auth_token": (V,),
                "http.request.header.x-password": (V,),
                "http.response.header.set_cookie": (V,),
                "http.request.header.x_request_source": ("frontend",),
            }
        )
    exported = attributes(pipeline.by_name("GET"))
    assert V not in str(dict(exported))
    assert exported["http.request.header.x_request_source"] == ("frontend",)


def test_query_values_in_captured_url_headers_are_masked(pipeline: Pipeline) -> None:
    tracer = pipeline.provider.get_tracer("opentelemetry.instrumentation.django")
    with tracer.start_as_current_span("GET", kind=SpanKind.SERVER) as span:
        span.set_attributes(
            {
                "http.request.header.referer": (f"https://app.test/cb?code={V}&state=1",),
                "http.response.header.location": (f"/login/?next=/a/&email={V}",),
                "http.response.header.content_location": ("/orders/7/",),
            }
        )
    exported = attributes(pipeline.by_name("GET"))
    assert V not in str(dict(exported))
    assert exported["http.request.header.referer"] == (
        "https://app.test/cb?code=REDACTED&state=REDACTED",
    )
    assert exported["http.response.header.location"] == ("/login/?next=REDACTED&email=REDACTED",)
    assert exported["http.response.header.content_location"] == ("/orders/7/",)


def test_status_description_and_exception_text_are_masked(pipeline: Pipeline) -> None:
    tracer = pipeline.provider.get_tracer("opentelemetry.instrumentation.pymysql")
    message = MESSAGES[0]
    with tracer.start_as_current_span("INSERT", kind=SpanKind.CLIENT) as span:
        span.record_exception(RuntimeError(message))
        span.set_status(Status(StatusCode.ERROR, f"IntegrityError: {message}"))
    exported = pipeline.by_name("INSERT")
    assert exported.status.status_code is StatusCode.ERROR
    assert exported.status.description is not None
    assert V not in exported.status.description
    assert "Duplicate entry '?' for key" in exported.status.description
    (event,) = exported.events
    assert event.attributes is not None
    assert V not in str(dict(event.attributes))


def test_dropped_events_and_links_survive_enrichment() -> None:
    out = InMemorySpanExporter()
    provider = TracerProvider(span_limits=SpanLimits(max_events=2, max_links=1))
    provider.add_span_processor(SimpleSpanProcessor(out))
    provider.add_span_processor(export_processor(out, Config(), batch=False))
    tracer = provider.get_tracer("opentelemetry.instrumentation.pymysql")
    other = tracer.start_span("other").get_span_context()
    with tracer.start_as_current_span(
        "SELECT", kind=SpanKind.CLIENT, links=[Link(other), Link(other)]
    ) as span:
        span.set_attribute("db.statement", "SELECT 1")  # the enrichers change this span
        for index in range(5):
            span.add_event(f"e{index}")
    raw, enriched = out.get_finished_spans()
    assert enriched is not raw
    assert (enriched.dropped_events, enriched.dropped_links) == (3, 1)
    assert (raw.dropped_events, raw.dropped_links) == (3, 1)
