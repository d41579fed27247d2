"""The msgspec fast path of the OTLP reader: on every line it either gives up (None) or gives
exactly the spans the general reader (``json`` + ``otlp_files``) gives, with no problem."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from e2e_otel.sources.models import InputProblem, SpanRecord
from e2e_otel.sources.otlp_fast import decode_line
from e2e_otel.sources.otlp_files import plausible_until, spans_of_line
from tests.sources.test_fuzz_otlp import _SETTINGS, T0, _request, _span, broken_lines, valid_lines

LATEST = plausible_until()


def _general(line: bytes) -> tuple[list[SpanRecord], list[InputProblem]]:
    problems: list[InputProblem] = []
    text = line.decode("utf-8", errors="replace")
    return list(spans_of_line(text, "f", 1, problems.append, LATEST)), problems


def _agrees(line: bytes) -> list[SpanRecord] | None:
    fast = decode_line(line, LATEST)
    if fast is not None:
        spans, problems = _general(line)
        assert repr(fast) == repr(spans)  # repr: NaN attributes compare unequal to themselves
        assert not problems
    return fast


def _line(**changes: Any) -> bytes:
    span = _span(1, 2, T0, 10**6, [{"stringValue": "a"}, {"intValue": "7"}])
    span.update(kind=2, events=[])
    span.update(changes)
    return json.dumps(_request([span])).encode()


def test_the_usual_line_takes_the_fast_path_with_the_same_spans() -> None:
    values: list[dict[str, Any]] = [
        {"stringValue": "x"},
        {"intValue": "-9223372036854775808"},
        {"intValue": 9223372036854775807},
        {"boolValue": True},
        {"doubleValue": 0.25},
        {"doubleValue": "NaN"},
        {"doubleValue": 3},
    ]
    span = _span(1, 2, T0, 10**6, values)
    span["kind"] = 3
    fast = _agrees(json.dumps(_request([span, {**span, "spanId": "03", "status": {}}])).encode())
    assert fast is not None and len(fast) == 2
    assert fast[0].attributes["k1"] == -(2**63) and fast[0].events[0].name == "e"


@pytest.mark.parametrize(
    "line",
    [
        # Integers beyond 64 bits: json keeps them ints, and so does msgspec.
        _line(name=10**30),
        _line(kind=10**30),
        _line(status={"code": -(10**25)}),
        _line(startTimeUnixNano=10**30),
        _line(attributes=[{"key": "n", "value": {"doubleValue": 10**30}}]),
        _line(attributes=[{"key": "n", "value": {"intValue": 2**64}}]),
        _line(events=[{"name": 10**20, "timeUnixNano": str(T0)}]),
        # Beyond the interpreter's 4300 digits: json reads them as HugeInteger (no number).
        _line(other=7).replace(b'"other": 7', b'"other": ' + b"1" * 4301),  # skipped field
        _line(kind=7).replace(b'"kind": 7', b'"kind": ' + b"1" * 4301),  # malformed span
        _line(name=7).replace(b'"name": 7', b'"name": -' + b"9" * 5000),
    ],
)
def test_integers_beyond_64_bits_are_read_as_json_reads_them(line: bytes) -> None:
    _agrees(line)  # the fast path gives the general reader's spans, or gives up


@pytest.mark.parametrize(
    "line",
    [
        # What msgspec refuses and json reads.
        _line(name="x").replace(b'"x"', b'"\\ud800"'),
        _line(attributes=[{"key": "d", "value": {"doubleValue": float("nan")}}]),
        _line(attributes=[{"key": "d", "value": {"doubleValue": 1e300}}]).replace(
            b"e+300", b"e400"
        ),
        _line(name="\u00e9").replace(b"\\u00e9", b"\xe9"),  # not UTF-8: replaced, not refused
        b"[" * 5000 + b"]" * 5000,
        _line(other=[[[]]]).replace(b"[[[]]]", b"[" * 5000 + b"]" * 5000),  # in a skipped field
        # An attribute value with several fields: json reads the first one.
        _line(attributes=[{"key": "a", "value": {"stringValue": "x", "intValue": "1"}}]),
        _line(attributes=[{"key": "a", "value": {"intValue": "1", "boolValue": True}}]),
        _line(attributes=[{"key": "a", "value": {"boolValue": True, "doubleValue": 1.5}}]),
        _line(attributes=[{"key": "a", "value": {"doubleValue": 1.5, "intValue": 2}}]),
        _line(attributes=[{"key": "a", "value": {}}]),
        _line(attributes=[{"key": "a", "value": {"stringValue": None}}]),
        # Shapes only the general reader reads: enum names, arrays, non-string names.
        _line(kind="SPAN_KIND_SERVER"),
        _line(attributes=[{"key": "a", "value": {"arrayValue": {"values": []}}}]),
        _line(name=["GET"]),
        _line(startTimeUnixNano=float(T0)),
        # And lines the general reader reports a problem for.
        _line(attributes=[{"key": "n", "value": {"intValue": "x"}}]),
        _line(endTimeUnixNano=str(T0 - 1)),
        b'{"resourceSpans": {}}',
        b"   \n",
    ],
)
def test_the_general_reader_decides_where_the_decoders_could_differ(line: bytes) -> None:
    assert _agrees(line) is None


@settings(max_examples=1500, **_SETTINGS)
@given(line=valid_lines(1) | broken_lines())
def test_the_fast_path_never_disagrees_with_the_general_reader(
    line: str | tuple[str, set[tuple[str, str]]],
) -> None:
    _agrees((line if isinstance(line, str) else line[0]).encode())


@settings(max_examples=500, **_SETTINGS)
@given(
    value=st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["1e400", "-1e400", "123456789012345678901234567890", "1.5e19"]),
    place=st.sampled_from(["name", "kind", "startTimeUnixNano", "code", "double", "int", "event"]),
)
def test_numbers_anywhere_are_read_as_json_reads_them(value: Any, place: str) -> None:
    literal = value if isinstance(value, str) else json.dumps(value)
    fields: dict[str, dict[str, Any]] = {
        "name": {"name": "@"},
        "kind": {"kind": "@"},
        "startTimeUnixNano": {"startTimeUnixNano": "@"},
        "code": {"status": {"code": "@"}},
        "double": {"attributes": [{"key": "d", "value": {"doubleValue": "@"}}]},
        "int": {"attributes": [{"key": "i", "value": {"intValue": "@"}}]},
        "event": {"events": [{"name": "e", "timeUnixNano": "@"}]},
    }
    _agrees(_line(**fields[place]).replace(b'"@"', literal.encode()))


def test_integers_over_the_digit_limit_never_stop_the_read() -> None:
    """json.loads fails a whole document on an integer of more than 4300 digits (a plain
    ValueError): the general reader reads it as no number instead, and agrees with msgspec."""
    skipped = _line(other=7).replace(b'"other": 7', b'"other": ' + b"1" * 4301)
    fast = _agrees(skipped)
    assert fast is not None and len(fast) == 1  # a field no reader reads: the span is read
    in_kind = _line(kind=7).replace(b'"kind": 7', b'"kind": ' + b"1" * 4301)
    assert _agrees(in_kind) is None
    spans, problems = _general(in_kind)
    assert spans == [] and [p.reason for p in problems] == [
        "malformed span skipped: bad enum value <integer of 4301 digits>"
    ]


_finite_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)
_usual_values = st.one_of(
    st.builds(lambda s: {"stringValue": s}, st.text(max_size=8)),
    st.builds(lambda i: {"intValue": i}, st.integers(-(2**63), 2**63 - 1)),
    st.builds(lambda i: {"intValue": str(i)}, st.integers(-(2**63), 2**63 - 1)),
    st.builds(lambda b: {"boolValue": b}, st.booleans()),
    st.builds(lambda f: {"doubleValue": f}, st.floats(allow_nan=False, allow_infinity=False)),
    st.builds(lambda f: {"doubleValue": f}, st.sampled_from(["NaN", "Infinity", "-1.5", "2"])),
    st.builds(lambda i: {"doubleValue": i}, st.integers(-(2**70), 2**70)),
)
_hex_ids = st.text("0123456789abcdefABCDEF", min_size=1, max_size=32)


@st.composite
def usual_lines(draw: st.DrawFn) -> bytes:
    """Lines of the usual shape with every field drawn: the fast path must take each one."""

    def attributes() -> list[dict[str, Any]]:
        values = draw(st.lists(_usual_values, max_size=4))
        keys = draw(st.lists(st.text(max_size=6), min_size=len(values), max_size=len(values)))
        return [{"key": k, "value": v} for k, v in zip(keys, values, strict=True)]

    def optional(span: dict[str, Any], key: str, value: Any) -> None:
        if draw(st.booleans()):
            span[key] = value

    spans = []
    for _ in range(draw(st.integers(1, 3))):
        start = T0 + draw(st.integers(0, 10**12))
        span: dict[str, Any] = {
            "traceId": draw(_hex_ids),
            "spanId": draw(_hex_ids),
            "startTimeUnixNano": draw(st.sampled_from([str, int]))(start),
            "endTimeUnixNano": str(start + draw(st.integers(0, 10**10))),
        }
        optional(span, "parentSpanId", draw(st.one_of(st.just(""), st.none(), _hex_ids)))
        optional(span, "name", draw(st.text(max_size=10)))
        optional(span, "kind", draw(st.integers(0, 7)))
        optional(span, "status", draw(st.one_of(st.none(), st.just({}), st.builds(
            lambda c, m: {"code": c, "message": m}, st.integers(0, 3), st.text(max_size=4)
        ))))  # fmt: skip
        optional(span, "attributes", attributes())
        optional(span, "events", [
            {"name": draw(st.text(max_size=4)), "timeUnixNano": str(start), "attributes": []}
        ])  # fmt: skip
        optional(span, "flags", draw(_finite_json))  # a field no reader reads
        spans.append(span)
    resource: dict[str, Any] = {"attributes": attributes()}
    if draw(st.booleans()):  # a sampling tier's mark
        resource["attributes"] += [
            {"key": "e2e.sampling.policy", "value": {"stringValue": "tail"}},
            {"key": "e2e.sampling.baseline_percent", "value": {"doubleValue": 10.0}},
        ]
    scope = draw(st.one_of(st.none(), st.builds(lambda n: {"name": n}, st.text(max_size=6))))
    document = {
        "resourceSpans": [
            {"resource": resource, "scopeSpans": [{"scope": scope, "spans": spans}]},
            {"resource": None, "scopeSpans": None},
        ],
        "extra": draw(_finite_json),
    }
    return json.dumps(document).encode()


@settings(max_examples=800, **_SETTINGS)
@given(line=usual_lines())
def test_the_usual_shapes_take_the_fast_path_with_the_general_readers_spans(line: bytes) -> None:
    fast = _agrees(line)
    assert fast is not None, line  # taken: not a line sent back to the general reader
