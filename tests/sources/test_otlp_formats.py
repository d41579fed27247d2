"""Trace files in the forms users download or archive besides OTLP JSON lines: ids in base64,
Tempo's and Jaeger's API answers, OTLP before 0.15, gzip; and the forms refused, each with a
message saying what to do."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from e2e_otel.analyzers.ingest import build, plan
from e2e_otel.sources.models import InputProblem, SpanRecord
from e2e_otel.sources.otlp_files import read_spans
from tests.analyzers.conftest import spans_of, write_otlp
from tests.analyzers.test_ingest import _traces


def _plain(tmp_path: Path, traces: int = 3) -> Path:
    path = tmp_path / "plain.jsonl"
    write_otlp(path, spans_of(_traces(traces)), per_line=4)
    return path


def _requests(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _b64(value: str) -> str:
    return base64.b64encode(bytes.fromhex(value)).decode()


def _with_base64_ids(request: dict[str, Any]) -> dict[str, Any]:
    for entry in request["resourceSpans"]:
        for scope in entry["scopeSpans"]:
            for span in scope["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if span.get(key):
                        span[key] = _b64(span[key])
    return request


def _read(path: Path) -> tuple[list[SpanRecord], list[InputProblem]]:
    problems: list[InputProblem] = []
    return list(read_spans([path], problems.append)), problems


def _key(spans: list[SpanRecord]) -> list[tuple[Any, ...]]:
    return sorted((s.trace_id, s.span_id, s.parent_span_id, s.name, s.start_ns) for s in spans)


def _built(path: Path, problems: list[InputProblem]) -> list[str]:
    return sorted(build([path], problems.append, workers=1).finish().trace_ids)


def test_base64_ids_are_read_as_the_hex_ids_they_encode(tmp_path: Path) -> None:
    # Protobuf's generic JSON mapping (Python's MessageToJson, Go's protojson) writes bytes in
    # base64; OTLP JSON writes them in hex. Lowercased as they were, links to Tempo broke.
    plain = _plain(tmp_path)
    encoded = tmp_path / "b64.jsonl"
    encoded.write_text("".join(json.dumps(_with_base64_ids(r)) + "\n" for r in _requests(plain)))
    assert "=" in encoded.read_text()
    expected, _ = _read(plain)
    spans, problems = _read(encoded)
    assert not problems and _key(spans) == _key(expected)
    assert all(len(s.trace_id) == 32 and int(s.trace_id, 16) >= 0 for s in spans)
    # The analyzer's reader (its fast path hands such lines to the general reader) agrees.
    found: list[InputProblem] = []
    assert _built(encoded, found) == _built(plain, found) and not found


def test_an_id_that_only_looks_like_base64_is_kept_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    request = _requests(_plain(tmp_path, 1))[0]
    span = request["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span["spanId"] = "not-base64=="
    path.write_text(json.dumps(request) + "\n")
    spans, problems = _read(path)
    assert "not-base64==" in {s.span_id for s in spans} and not problems


@pytest.mark.parametrize("form", ["tempo batches", "tempo v2", "jaeger v3"])
def test_a_trace_downloaded_from_tempo_or_jaeger_is_read(tmp_path: Path, form: str) -> None:
    plain = _plain(tmp_path, 1)
    (request,) = _requests(plain)
    entries = _with_base64_ids(json.loads(json.dumps(request)))["resourceSpans"]
    document = {
        "tempo batches": {"batches": entries},
        "tempo v2": {"trace": {"resourceSpans": entries}},
        "jaeger v3": {"result": {"resourceSpans": entries}},
    }[form]
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(document, indent=2))
    spans, problems = _read(path)
    assert not problems and _key(spans) == _key(_read(plain)[0])


def test_otlp_before_0_15_is_read(tmp_path: Path) -> None:
    # instrumentationLibrarySpans / instrumentationLibrary: old collectors' files.
    plain = _plain(tmp_path)
    old = tmp_path / "old.jsonl"
    lines = []
    for request in _requests(plain):
        for entry in request["resourceSpans"]:
            scopes = entry.pop("scopeSpans")
            for scope in scopes:
                scope["instrumentationLibrary"] = scope.pop("scope")
            entry["instrumentationLibrarySpans"] = scopes
        lines.append(json.dumps(request) + "\n")
    old.write_text("".join(lines))
    spans, problems = _read(old)
    assert not problems and _key(spans) == _key(_read(plain)[0])
    assert {s.scope_name for s in spans} == {s.scope_name for s in _read(plain)[0]}
    found: list[InputProblem] = []
    assert _built(old, found) == _built(plain, found) and not found


def test_jaeger_v1_json_is_refused_with_what_to_fetch_instead(tmp_path: Path) -> None:
    path = tmp_path / "jaeger.json"
    path.write_text(json.dumps({"data": [{"traceID": "ab" * 16, "spans": [], "processes": {}}]}))
    spans, problems = _read(path)
    assert not spans
    assert [(p.line, "Jaeger" in p.reason, "/api/v3/" in p.reason) for p in problems] == [
        (1, True, True)
    ]


@pytest.mark.parametrize("key", ["resourceMetrics", "resourceLogs"])
def test_otlp_metrics_or_logs_are_named_as_such(tmp_path: Path, key: str) -> None:
    # The collector's file exporter often writes all three signals, each to its own file.
    path = tmp_path / "other.jsonl"
    path.write_text(json.dumps({key: [{"resource": {}}]}) + "\n")
    spans, problems = _read(path)
    kind = "metrics" if key == "resourceMetrics" else "logs"
    assert not spans and [p.reason.split(":")[0] for p in problems] == [
        f"OTLP {kind}, not traces ({key})"
    ]


def test_gzip_files_are_read_like_the_file_they_compress(tmp_path: Path) -> None:
    plain = _plain(tmp_path, 5)
    packed = tmp_path / "plain.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    # One task, never cut in bytes, read line by line through the analyzer's fast path.
    assert [(t.gzip, t.whole) for t in plan([packed], chunk_bytes=100)] == [(True, False)]
    spans, problems = _read(packed)
    assert not problems and _key(spans) == _key(_read(plain)[0])
    found: list[InputProblem] = []
    assert _built(packed, found) == _built(plain, found) and not found


def test_a_gzip_file_cut_short_keeps_its_first_lines_and_says_where(tmp_path: Path) -> None:
    plain = _plain(tmp_path, 6)
    lines = plain.read_bytes().splitlines(keepends=True)
    packed = gzip.compress(b"".join(lines))
    cut = tmp_path / "cut.jsonl.gz"
    # Flushed line by line, so the first line's bytes come before the cut.
    compressor = gzip.GzipFile(fileobj=(handle := cut.open("wb")), mode="wb")
    compressor.write(lines[0])
    compressor.flush()
    compressor.write(b"".join(lines[1:]))
    compressor.flush()
    handle.close()  # no gzip trailer: the stream ends early
    assert len(cut.read_bytes()) < len(packed) + 64
    spans, problems = _read(cut)
    first = json.loads(lines[0])["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert {s["spanId"] for s in first} <= {s.span_id for s in spans}
    assert len(problems) == 1 and problems[0].line == len(lines) + 1
    assert problems[0].reason.startswith("compressed data unreadable from here on")
    # The analyzer's reader: the same spans, the same located problem.
    found: list[InputProblem] = []
    assert _built(cut, found) == sorted({s.trace_id for s in spans})
    assert [(p.line, p.reason) for p in found] == [(p.line, p.reason) for p in problems]


def test_a_pretty_printed_gzip_file_is_read_whole(tmp_path: Path) -> None:
    plain = _plain(tmp_path, 1)
    (request,) = _requests(plain)
    packed = tmp_path / "one.json.gz"
    packed.write_bytes(gzip.compress(json.dumps(request, indent=2).encode()))
    assert [t.whole for t in plan([packed])] == [True]
    found: list[InputProblem] = []
    assert _built(packed, found) == _built(plain, found) and not found


def test_zstd_files_are_one_problem_saying_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "traces.jsonl.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 32)
    spans, problems = _read(path)
    assert not spans and len(problems) == 1 and "zstd" in problems[0].reason
    assert "compression" in problems[0].reason
