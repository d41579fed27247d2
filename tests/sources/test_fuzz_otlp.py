"""Property-based fuzzing of the OTLP JSON file reader and of ``e2e-otel analyze`` on files.

Each example is a file mixing valid request lines (with known span ids) and bad ones: valid
requests with a wrong type or value put at a random place, requests with implausible times,
and raw garbage (any text, cut-off lines, nesting far beyond the decoder's recursion limit).
Whatever the bad lines hold, nothing may escape as an exception, every span of every valid
line must be read, and every problem must name its file and line. Examples are derandomized
(the same cases on every run) and sized to keep the module under a minute on two cores.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from e2e_otel.analyzers.ingest import build
from e2e_otel.cli import main
from e2e_otel.sources.models import InputProblem
from e2e_otel.sources.otlp_files import EARLIEST_NS, plausible_until, read_spans
from tests.analyzers.test_builder import dataset_view

T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z
LATEST = plausible_until()
_SETTINGS: dict[str, Any] = {
    "deadline": None,
    "derandomize": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()  # NaN and the infinities included: json.dumps writes them as NaN/Infinity
    | st.text(max_size=12)
    | st.sampled_from(["", "9" * 20, "-1", "1e999", "0x10", "NaN", "Infinity", str(T0)])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
any_values = st.one_of(
    st.builds(lambda s: {"stringValue": s}, st.text(max_size=8)),
    st.builds(lambda i: {"intValue": str(i)}, st.integers(-(2**63), 2**63 - 1)),
    st.builds(lambda b: {"boolValue": b}, st.booleans()),
    st.builds(lambda f: {"doubleValue": f}, st.floats(allow_nan=False, allow_infinity=False)),
    st.builds(
        lambda v: {"arrayValue": {"values": [{"stringValue": x} for x in v]}},
        st.lists(st.text(max_size=4), max_size=3),
    ),
)


def _span(
    trace: int, span: int, start: int, duration: int, attrs: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "traceId": f"{trace:032x}",
        "spanId": f"{span:016x}",
        "parentSpanId": f"{span - 1:016x}" if span % 3 else "",
        "name": "GET /x",
        "kind": (2, 3, "SPAN_KIND_SERVER", 1)[span % 4],
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + duration),
        "status": {"code": span % 3},
        "attributes": [{"key": f"k{i}", "value": value} for i, value in enumerate(attrs)],
        "events": [{"name": "e", "timeUnixNano": str(start), "attributes": []}],
    }


def _request(spans: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]
                },
                "scopeSpans": [{"scope": {"name": "s", "version": "1"}, "spans": spans}],
            }
        ]
    }


@st.composite
def valid_lines(draw: st.DrawFn, first_id: int) -> tuple[str, set[tuple[str, str]]]:
    """A valid request; its spans' ids start at ``first_id`` (the caller keeps them unique)."""
    count = draw(st.integers(1, 3))
    spans = [
        _span(
            first_id,
            first_id + i,
            T0 + draw(st.integers(0, 10**12)),
            draw(st.integers(0, 10**10)),
            draw(st.lists(any_values, max_size=3)),
        )
        for i in range(count)
    ]
    return json.dumps(_request(spans)), {(s["traceId"], s["spanId"]) for s in spans}


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document: the paths of its containers' members."""
    places = [path]
    if isinstance(value, dict):
        for key, member in value.items():
            places.extend(_places(member, (*path, key)))
    elif isinstance(value, list):
        for index, member in enumerate(value):
            places.extend(_places(member, (*path, index)))
    return places


@st.composite
def broken_lines(draw: st.DrawFn) -> str:
    """A request with wrong types or values injected at random places, or garbage."""
    kind = draw(st.sampled_from(["inject", "inject", "inject", "times", "garbage", "cut", "deep"]))
    # Ids in another range than the valid lines': a broken line never claims a valid span id.
    document: Any = _request(
        [
            _span(2**100 + n, 2**60 + n, T0, 10**6, draw(st.lists(any_values, max_size=2)))
            for n in range(2)
        ]
    )
    if kind in ("inject", "times"):
        for _ in range(draw(st.integers(1, 3))):
            places = _places(document)
            if kind == "times":
                places = [p for p in places if p and str(p[-1]).endswith("UnixNano")]
            place = draw(st.sampled_from(places))
            new = draw(
                json_values | st.integers(-(10**30), 10**30).map(str)
                if kind == "times"
                else json_values
            )
            if not place:
                document = new
                continue
            parent = document
            for step in place[:-1]:
                parent = parent[step]
            if draw(st.booleans()) or not isinstance(parent, dict):
                parent[place[-1]] = new
            else:
                del parent[place[-1]]
        return json.dumps(document).replace("\n", " ")
    if kind == "cut":
        text = json.dumps(document)
        return text[: draw(st.integers(0, len(text) - 1))]
    if kind == "deep":
        depth = draw(st.sampled_from([900, 5_000, 100_000]))
        opener = draw(st.sampled_from(["[", '{"a":', '{"resourceSpans":[']))
        return opener * depth
    return draw(st.text(max_size=60)).replace("\n", " ").replace("\r", " ")


@st.composite
def files(draw: st.DrawFn) -> tuple[list[str], list[set[tuple[str, str]]]]:
    """Lines of a file: valid and broken ones mixed; the ids of each line's valid spans."""
    lines: list[str] = []
    expected: list[set[tuple[str, str]]] = []
    for n in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            line, ids = draw(valid_lines(1 + 16 * n))
        else:
            line, ids = draw(broken_lines()), set()
        lines.append(line)
        expected.append(ids)
    return lines, expected


def _write(tmp_path: Path, lines: list[str], name: str = "fuzz.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _check_problems(problems: list[InputProblem], path: Path, lines: int) -> None:
    for problem in problems:
        assert problem.path == str(path)
        assert 1 <= problem.line <= lines, problem
        assert problem.reason and "\n" not in problem.reason


@settings(max_examples=3000, **_SETTINGS)
@given(data=files())
def test_the_reader_reads_every_valid_line_whatever_the_others_hold(
    tmp_path_factory: pytest.TempPathFactory, data: tuple[list[str], list[set[tuple[str, str]]]]
) -> None:
    lines, expected = data
    path = _write(tmp_path_factory.mktemp("r"), lines)
    problems: list[InputProblem] = []
    spans = list(read_spans([path], problems.append, latest_ns=LATEST))
    read = {(span.trace_id, span.span_id) for span in spans}
    assert set().union(*expected) <= read
    for span in spans:
        assert EARLIEST_NS <= span.start_ns <= span.end_ns <= LATEST
        for value in span.attributes.values():
            assert not isinstance(value, (dict, list))
    _check_problems(problems, path, len(lines))
    assert any(not ids for ids in expected) or not problems  # valid lines give no problem


@settings(max_examples=1600, **_SETTINGS)
@given(data=files())
def test_analyze_reports_or_fails_in_one_line(
    tmp_path_factory: pytest.TempPathFactory, data: tuple[list[str], list[set[tuple[str, str]]]]
) -> None:
    """Exit 0 with a report when any span was read (incomplete when a line was bad); exit 2
    with one error line when none was."""
    lines, expected = data
    directory = tmp_path_factory.mktemp("a")
    path = _write(directory, lines)
    out = directory / "r.json"
    with contextlib.redirect_stderr(io.StringIO()) as captured:
        code = main(["analyze", str(path), "--json", str(out), "--quiet"])
    stderr = captured.getvalue()
    valid = len(set().union(*expected))
    if code == 2:
        assert valid == 0 and stderr.startswith("e2e-otel: error: no spans found")
        assert stderr.count("\n") == 1
        return
    assert code == 0 and stderr == ""
    report = json.loads(out.read_text())
    assert report["spans"] >= valid
    for problem in report["problems"]:
        location, _, _ = problem.partition(": ")
        assert location.startswith(f"{path}:") or problem.startswith("... and ")
        if not problem.startswith("... and "):
            assert int(location.rsplit(":", 1)[1]) >= 1
    assert report["complete"] is (not report["problems"])


@settings(max_examples=400, **_SETTINGS)
@given(data=files(), copies=st.integers(1, 2))
def test_a_parallel_read_equals_a_sequential_one(
    tmp_path_factory: pytest.TempPathFactory,
    data: tuple[list[str], list[set[tuple[str, str]]]],
    copies: int,
) -> None:
    lines, _ = data
    path = _write(tmp_path_factory.mktemp("p"), lines * copies)  # twice: duplicates everywhere
    runs = []
    for workers, chunk in ((1, 1 << 30), (2, 300)):
        problems: list[InputProblem] = []
        builder = build(
            [path], problems.append, workers=workers, chunk_bytes=chunk, latest_ns=LATEST
        )
        runs.append((dataset_view(builder.finish()), problems))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 1e300, 2**64, -(2**63)])
def test_special_numbers_in_every_time_field_are_problems(tmp_path: Path, value: float) -> None:
    lines = []
    for field in ("startTimeUnixNano", "endTimeUnixNano"):
        document = _request([_span(7, 7, T0, 10**6, [])])
        document["resourceSpans"][0]["scopeSpans"][0]["spans"][0][field] = value
        lines.append(json.dumps(document))
    document = _request([_span(7, 8, T0, 10**6, [])])
    document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["events"][0]["timeUnixNano"] = value
    lines.append(json.dumps(document))
    lines.append(json.dumps(_request([_span(9, 9, T0, 10**6, [])])))
    path = _write(tmp_path, lines)
    problems: list[InputProblem] = []
    spans = list(read_spans([path], problems.append, latest_ns=LATEST))
    assert [span.span_id for span in spans] == [f"{9:016x}"]
    assert [p.line for p in problems] == [1, 2, 3]
