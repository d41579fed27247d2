from __future__ import annotations

import json
from pathlib import Path

from opentelemetry.exporter.otlp.json.file.trace_exporter import FileSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from e2e_otel.sources.models import InputProblem
from e2e_otel.sources.otlp_files import read_spans


def _span(**overrides: object) -> dict[str, object]:
    span: dict[str, object] = {
        "traceId": "A" * 32,
        "spanId": "B" * 16,
        "name": "q",
        "kind": "SPAN_KIND_CLIENT",
        "startTimeUnixNano": "1000000",
        "endTimeUnixNano": "3500000",
        "status": {"code": "STATUS_CODE_ERROR"},
        "attributes": [
            {"key": "s", "value": {"stringValue": "x"}},
            {"key": "i", "value": {"intValue": "7"}},
            {"key": "l", "value": {"arrayValue": {"values": [{"boolValue": True}]}}},
        ],
    }
    span.update(overrides)
    return span


def _request(*spans: dict[str, object]) -> dict[str, object]:
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]
                },
                "scopeSpans": [{"scope": {"name": "scope"}, "spans": list(spans)}],
            }
        ]
    }


def test_reads_what_the_python_file_exporter_writes(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(FileSpanExporter(path)))
    tracer = provider.get_tracer("my.scope")
    with tracer.start_as_current_span("parent", kind=SpanKind.SERVER) as parent:
        parent.set_attribute("n", 3)
        with tracer.start_as_current_span("child") as child:
            child.set_status(Status(StatusCode.ERROR))
            child.add_event("exception", {"exception.type": "ValueError"})
    provider.shutdown()
    spans = {s.name: s for s in read_spans([path])}
    assert spans["parent"].kind == "server"
    assert spans["parent"].attributes["n"] == 3
    assert spans["child"].parent_span_id == spans["parent"].span_id
    assert spans["child"].status == "error"
    assert spans["child"].events[0].attributes["exception.type"] == "ValueError"
    assert spans["child"].scope_name == "my.scope"


def test_string_enums_ids_and_values(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(_request(_span())) + "\n")
    (span,) = read_spans([path])
    assert span.trace_id == "a" * 32 and span.kind == "client" and span.status == "error"
    assert span.duration_ms == 2.5
    assert span.attributes == {"s": "x", "i": 7, "l": (True,)}
    assert span.service_name == "api"


def test_pretty_printed_single_document(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(_request(_span(), _span(spanId="c" * 16)), indent=2))
    assert len(list(read_spans([path]))) == 2


def test_problems_are_located_and_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    lines = [
        json.dumps(_request(_span())),
        "{broken",
        json.dumps({"hello": "world"}),
        json.dumps(_request(_span(traceId=None), _span(spanId="d" * 16))),
        "",
        json.dumps(_request(_span(startTimeUnixNano="soon"))),
    ]
    path.write_text("\n".join(lines) + "\n")
    problems: list[InputProblem] = []
    spans = list(read_spans([path, tmp_path / "missing.jsonl"], problems.append))
    assert [s.span_id for s in spans] == ["b" * 16, "d" * 16]
    where = [(p.line, p.reason.split(":")[0]) for p in problems]
    assert where == [
        (2, "invalid JSON"),
        (3, "not an OTLP trace request (no resourceSpans list)"),
        (4, "malformed span skipped"),
        (6, "malformed span skipped"),
        (0, "cannot open"),
    ]
    assert str(problems[0]).startswith(f"{path}:2: invalid JSON")


def test_streaming_does_not_read_everything_first(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(_request(_span())) + "\n" + "{broken\n")
    problems: list[InputProblem] = []
    iterator = read_spans([path], problems.append)
    next(iterator)
    assert problems == []  # the second line has not been read yet
