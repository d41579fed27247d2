from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.json.file.trace_exporter import FileSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from e2e_otel.sources import otlp_files
from e2e_otel.sources.models import InputProblem
from e2e_otel.sources.otlp_files import plausible_until, read_spans, unreadable

T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z


def _span(**overrides: object) -> dict[str, object]:
    span: dict[str, object] = {
        "traceId": "A" * 32,
        "spanId": "B" * 16,
        "name": "q",
        "kind": "SPAN_KIND_CLIENT",
        "startTimeUnixNano": str(T0),
        "endTimeUnixNano": str(T0 + 2_500_000),
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


def _line(document: object) -> str:
    return json.dumps(document)


_GOOD = _request(_span(spanId="0" * 15 + "1"))
_VALID = _span()
_DAY = 86_400 * 10**9


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"resourceSpans":[{"resource":"x","scopeSpans":[]}]}', "resource is not an object"),
        (_line({"resourceSpans": [{"scopeSpans": [{"scope": "x", "spans": [_VALID]}]}]}), "scope"),
        ('{"resourceSpans":[{"resource":{},"scopeSpans":5}]}', "scopeSpans is not a list"),
        ('{"resourceSpans":[{"scopeSpans":[{"spans":5}]}]}', "spans is not a list"),
        (
            _line(_request(_span(attributes=[{"key": "a", "value": {"arrayValue": [1, 2]}}]))),
            "arrayValue",
        ),
        (
            _line(
                _request(
                    _span(
                        attributes=[
                            {"key": "a", "value": {"arrayValue": {"values": [{"arrayValue": 5}]}}}
                        ]
                    )
                )
            ),
            "arrayValue",
        ),
        (
            _line(_request(_span(attributes=[{"key": "a", "value": {"intValue": "1" * 30}}]))),
            "intValue",
        ),
        (
            _line(_request(_span(attributes=[{"key": "a", "value": {"stringValue": {"x": 1}}}]))),
            "stringValue",
        ),
        (_line(_request(_span(attributes=5))), "attributes is not a list"),
        (
            _line(
                {
                    "resourceSpans": [
                        {
                            "resource": {"attributes": [{"key": "k", "value": {"intValue": 1.5}}]},
                            "scopeSpans": [{"spans": [_VALID]}],
                        }
                    ]
                }
            ),
            "intValue",
        ),
        (_line(_request(_span())).replace(f'"{T0}"', "1e999"), "startTimeUnixNano is inf"),
        (_line(_request(_span())).replace(f'"{T0}"', "Infinity"), "startTimeUnixNano is inf"),
        (_line(_request(_span())).replace(f'"{T0}"', "-Infinity"), "startTimeUnixNano is -inf"),
        (_line(_request(_span())).replace(f'"{T0}"', "NaN"), "startTimeUnixNano is nan"),
        (_line(_request(_span(startTimeUnixNano=None))), "startTimeUnixNano is missing"),
        (
            _line(_request(_span(startTimeUnixNano="9" * 20, endTimeUnixNano="9" * 20))),
            "more than a day after",
        ),
        (_line(_request(_span(endTimeUnixNano="9" * 20))), "more than a day after"),
        (_line(_request(_span(events=[{"timeUnixNano": "9" * 20}]))), "event timeUnixNano"),
        (_line(_request(_span(events=[{"timeUnixNano": 1e999}]))), "event timeUnixNano is inf"),
        (_line(_request(_span(startTimeUnixNano=str(-(10**12))))), "before 2000-01-01"),
        (_line(_request(_span(startTimeUnixNano="0", endTimeUnixNano="0"))), "before 2000-01-01"),
        (_line(_request(_span(endTimeUnixNano=str(T0 - 1)))), "ends before it starts"),
        (_line(_request(_span(parentSpanId=5))), "parentSpanId is not a string"),
        (_line(_request(_span(kind=2.5))), "bad enum value 2.5"),
        ("[" * 100_000 + "]" * 100_000, "invalid JSON: nested too deeply"),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, "invalid JSON: nested too deeply"),
    ],
)
def test_a_bad_span_or_entry_is_one_located_problem_and_the_file_goes_on(
    tmp_path: Path, line: str, reason: str
) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(line + "\n" + _line(_GOOD) + "\n")
    problems: list[InputProblem] = []
    spans = list(read_spans([path], problems.append, latest_ns=T0 + _DAY))
    assert [s.span_id for s in spans] == ["0" * 15 + "1"]
    (problem,) = problems
    assert (problem.path, problem.line) == (str(path), 1)
    assert reason in problem.reason and len(problem.reason) < 300


def test_the_time_limit_is_a_day_after_the_clock(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    ends = [T0 + _DAY - 1, T0 + _DAY + 1]  # within a day of the clock, and just past it
    lines = [
        _line(_request(_span(spanId=f"{i + 1:016x}", endTimeUnixNano=str(end))))
        for i, end in enumerate(ends)
    ]
    path.write_text("\n".join(lines) + "\n")
    problems: list[InputProblem] = []
    spans = list(read_spans([path], problems.append, latest_ns=plausible_until(lambda: T0)))
    assert [s.end_ns for s in spans] == ends[:1]
    assert [p.line for p in problems] == [2]


def test_kvlist_and_unknown_values_are_dropped_not_fatal(tmp_path: Path) -> None:
    attributes = [
        {
            "key": "kv",
            "value": {"kvlistValue": {"values": [{"key": "a", "value": {"intValue": "1"}}]}},
        },
        {"key": "new", "value": {"someFutureValue": 1}},
        {"key": "d", "value": {"doubleValue": "NaN"}},
        {"key": "b", "value": {"bytesValue": "AAE="}},
        {"key": "e", "value": {"arrayValue": {}}},
    ]
    path = tmp_path / "t.jsonl"
    path.write_text(_line(_request(_span(attributes=attributes))) + "\n")
    (span,) = read_spans([path], latest_ns=T0 + _DAY)
    assert span.attributes["kv"] is None and span.attributes["new"] is None
    assert span.attributes["b"] == "AAE=" and span.attributes["e"] == ()
    d = span.attributes["d"]
    assert isinstance(d, float) and d != d  # NaN


@pytest.mark.parametrize("kind", ["fifo", "directory", "missing"])
def test_paths_that_are_not_files_are_one_problem_and_never_block(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(path)  # opening it would wait for a writer: it must not be opened
    elif kind == "directory":
        path.mkdir()
    expected = {
        "fifo": "a FIFO (named pipe)",
        "directory": "a directory, not a file",
        "missing": "No such file or directory",
    }[kind]
    assert expected in (unreadable(path) or "")
    problems: list[InputProblem] = []
    assert list(read_spans([path], problems.append)) == []
    (problem,) = problems
    assert (problem.path, problem.line) == (str(path), 0)
    assert problem.reason.startswith("cannot open: ") and expected in problem.reason


def test_an_unreadable_file_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(_line(_GOOD) + "\n")

    def denied(*args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied")

    # Root reads any file whatever its mode, so the denial is simulated.
    monkeypatch.setattr(otlp_files, "open", denied, raising=False)
    assert unreadable(path) == "cannot open: Permission denied"
    problems: list[InputProblem] = []
    assert list(read_spans([path], problems.append)) == []
    assert [p.reason for p in problems] == ["cannot open: Permission denied"]


def test_a_lone_brace_first_line_does_not_lose_the_file(tmp_path: Path) -> None:
    """A first line "{" suggests one pretty-printed request; when the file is not one JSON
    document (too deep, or JSON lines after a broken first line), it is read as lines."""
    path = tmp_path / "t.json"
    deep = '"a":' + "[" * 100_000 + "]" * 100_000
    path.write_text("{\n" + deep + "\n" + _line(_GOOD) + "\n")
    problems: list[InputProblem] = []
    assert [s.span_id for s in read_spans([path], problems.append)] == ["0" * 15 + "1"]
    assert [(p.line, p.reason.split(":")[0]) for p in problems] == [
        (1, "invalid JSON"),
        (2, "invalid JSON"),
    ]
