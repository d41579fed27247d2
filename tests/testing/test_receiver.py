"""The OTLP/HTTP receiver: what the OTel SDK's exporters and a browser page send arrives as the
same span records the in-process capture makes; CORS lets a page post; bad bodies are refused
and reported, never fatal."""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from opentelemetry.exporter.otlp.json.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from e2e_otel.testing.receiver import OtlpReceiver
from e2e_otel.testing.records import records

ORIGIN = "http://127.0.0.1:3000"


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def sdk_spans() -> tuple[ReadableSpan, ...]:
    """A small request as the SDK finishes it: a server span, a query under it with an
    event, an error status, and attributes of every scalar type."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "shop-api"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("opentelemetry.instrumentation.django")
    with tracer.start_as_current_span(
        "POST api/cart/items/",
        kind=SpanKind.SERVER,
        attributes={"http.response.status_code": 500, "e2e.layer": "api", "ratio": 0.5},
    ) as server:
        server.set_status(Status(StatusCode.ERROR, "boom"))
        with tracer.start_as_current_span(
            "SELECT", kind=SpanKind.CLIENT, attributes={"db.system": "mysql", "cached": False}
        ) as query:
            query.add_event("retry", {"attempt": 2})
    provider.shutdown()
    return memory.get_finished_spans()


def post(
    url: str, body: bytes, content_type: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def json_body(spans: tuple[ReadableSpan, ...]) -> bytes:
    return json.dumps(encode_spans(spans).to_dict()).encode()


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_the_sdk_protobuf_exporter_delivers_the_spans_the_capture_would_record(
    receiver: OtlpReceiver, sdk_spans: tuple[ReadableSpan, ...], compression: Compression
) -> None:
    exporter = OTLPSpanExporter(endpoint=receiver.traces_url, compression=compression)
    assert exporter.export(sdk_spans) == SpanExportResult.SUCCESS
    exporter.shutdown()  # type: ignore[no-untyped-call]
    received = receiver.records()
    assert received == records(sdk_spans)
    server, query = received
    assert (server.kind, server.status, server.service_name) == ("server", "error", "shop-api")
    assert query.parent_span_id == server.span_id
    assert server.attributes["http.response.status_code"] == 500
    assert (query.attributes["cached"], query.events[0].attributes) == (False, {"attempt": 2})
    assert receiver.problems == ()


def test_otlp_json_from_a_page_is_read_and_answered_with_cors(
    receiver: OtlpReceiver, sdk_spans: tuple[ReadableSpan, ...]
) -> None:
    status, headers, body = post(
        receiver.traces_url, json_body(sdk_spans), "application/json", {"Origin": ORIGIN}
    )
    assert (status, json.loads(body)) == (200, {})
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert receiver.records() == records(sdk_spans)


def test_gzip_json_is_read(receiver: OtlpReceiver, sdk_spans: tuple[ReadableSpan, ...]) -> None:
    status, _, _ = post(
        receiver.traces_url,
        gzip.compress(json_body(sdk_spans)),
        "application/json; charset=utf-8",
        {"Content-Encoding": "gzip"},
    )
    assert status == 200
    assert receiver.records() == records(sdk_spans)


def test_the_cors_preflight_allows_the_page_to_post(receiver: OtlpReceiver) -> None:
    request = urllib.request.Request(
        receiver.traces_url,
        method="OPTIONS",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
        assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"{not json", "application/json", "body is not JSON"),
        (b'{"n": ' + b"1" * 5000 + b"}", "application/json", "body is not JSON"),
        (b'{"spans": []}', "application/json", "no resourceSpans list"),
        (b"\xff\xff\xff\xff", "application/x-protobuf", "not a protobuf ExportTraceServiceRequest"),
        (b"a=1", "application/x-www-form-urlencoded", "unsupported Content-Type"),
    ],
)
def test_a_body_that_is_not_a_trace_request_is_refused_and_reported(
    receiver: OtlpReceiver,
    sdk_spans: tuple[ReadableSpan, ...],
    body: bytes,
    content_type: str,
    reason: str,
) -> None:
    status, headers, answer = post(receiver.traces_url, body, content_type, {"Origin": ORIGIN})
    assert status == 400
    assert headers["Access-Control-Allow-Origin"] == ORIGIN  # the page can read why
    assert reason in answer.decode()
    (problem,) = receiver.problems
    assert reason in problem and f"from {ORIGIN}" in problem
    # The receiver still serves.
    assert post(receiver.traces_url, json_body(sdk_spans), "application/json")[0] == 200
    assert len(receiver.records()) == 2


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        # A gzip header, then garbage where the deflate stream should be (zlib.error).
        (gzip.compress(b"{}")[:10] + b"\xff" * 40, "body is not gzip"),
        (gzip.compress(b"{}")[:-6], "body is not gzip"),  # truncated
        # 1 MiB of gzip that expands past the receiver's 64 MiB limit.
        (gzip.compress(b"\0" * (65 * 1024 * 1024), compresslevel=9), "expands past"),
    ],
    ids=["corrupt", "truncated", "bomb"],
)
def test_a_bad_gzip_body_is_refused_and_the_receiver_keeps_serving(
    receiver: OtlpReceiver, sdk_spans: tuple[ReadableSpan, ...], body: bytes, reason: str
) -> None:
    status, _, answer = post(
        receiver.traces_url, body, "application/json", {"Content-Encoding": "gzip"}
    )
    assert status == 400 and reason in answer.decode()
    (problem,) = receiver.problems
    assert reason in problem
    assert post(receiver.traces_url, json_body(sdk_spans), "application/json")[0] == 200


def test_a_malformed_span_is_skipped_and_reported_the_others_kept(
    receiver: OtlpReceiver, sdk_spans: tuple[ReadableSpan, ...]
) -> None:
    document = encode_spans(sdk_spans).to_dict()
    spans = document["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans.append({"name": "no ids", "startTimeUnixNano": "1", "endTimeUnixNano": "2"})
    status, _, body = post(receiver.traces_url, json.dumps(document).encode(), "application/json")
    assert status == 200
    assert json.loads(body)["partialSuccess"]["rejectedSpans"] == "1"
    assert receiver.records() == records(sdk_spans)
    (problem,) = receiver.problems
    assert "missing traceId/spanId" in problem


def test_other_paths_are_not_served(receiver: OtlpReceiver) -> None:
    status, _, _ = post(receiver.url + "/v1/metrics", b"{}", "application/json")
    assert status == 404
    assert "only /v1/traces is served" in receiver.problems[0]


def test_clear_forgets_spans_and_problems_and_close_frees_the_port(
    sdk_spans: tuple[ReadableSpan, ...],
) -> None:
    receiver = OtlpReceiver()
    post(receiver.traces_url, json_body(sdk_spans), "application/json")
    post(receiver.traces_url, b"{", "application/json")
    assert (len(receiver.records()), len(receiver.problems)) == (2, 1)
    receiver.clear()
    assert (receiver.records(), receiver.problems) == ((), ())
    receiver.close()
    receiver.close()  # idempotent
    with pytest.raises(urllib.error.URLError):
        post(receiver.traces_url, json_body(sdk_spans), "application/json")
