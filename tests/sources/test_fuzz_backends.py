"""Property-based fuzzing of the backends' answers: generated bodies (valid ones, valid ones
with one node replaced by any JSON value, garbage bytes, deep nesting) served through
httpx.MockTransport to the real Prometheus and Tempo clients and to a whole analysis run.

The properties: nothing escapes but :class:`BackendError` (which the command line turns into
exit 2 and one line); what is returned is typed and bounded; an analysis run either raises
BackendError or returns a report that renders, incomplete exactly when it lists problems.
3,000 cases per run in all, derandomized so CI sees the same ones.
"""

from __future__ import annotations

import copy
import json
import math
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from e2e_otel import metrics as m
from e2e_otel.analyzers.backends import analyze_backends
from e2e_otel.config import parse_config
from e2e_otel.publish import render_json, render_markdown
from e2e_otel.sources.http import BackendError, JsonClient
from e2e_otel.sources.models import MetricSample, MetricSeries
from e2e_otel.sources.prometheus import METHOD, QUANTILE, PrometheusClient
from e2e_otel.sources.shapes import MAX_NUMBER, MAX_UNIX_SECONDS
from e2e_otel.sources.tempo import TempoClient

FIXTURES = Path(__file__).parent.parent / "fixtures" / "tempo"
NOW = datetime(2023, 11, 14, 23, tzinfo=timezone.utc)
TRACE_ID = "00f067aa0ba902b7a3ce1d4e5f607182"
CONFIG = parse_config({"thresholds": {"api": {"warning_ms": 100, "critical_ms": 1000}}})


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


SEARCH, TRACE, METRICS = (
    _fixture(name) for name in ("search.json", "trace_v2.json", "metrics_query_range.json")
)

# Numbers a hostile or broken backend sends: specials as strings and as JSON literals, ints
# past the float range, floats past 2**53, numbers as strings.
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=10**300, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["NaN", "+Inf", "-Inf", "1e999", "-0", "12", "0.95", " 7 ", "1_000", "0x10"]),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=12)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

_LABELS = (
    m.SERVICE,
    METHOD,
    m.HTTP_ROUTE,
    m.SPAN_NAME,
    m.WORKFLOW,
    m.STATUS_CODE,
    m.LE,
    QUANTILE,
    m.FINGERPRINT_ID,
    m.ERROR_CATEGORY,
)
_VALUES = ("shop-api", "GET", "api/a/", m.STATUS_ERROR, "0.95", "0.5", "+Inf", "100", "x", "")
labels = st.dictionaries(
    st.sampled_from(_LABELS), st.sampled_from(_VALUES) | st.text(max_size=6), max_size=6
)
value_text = st.one_of(
    st.floats(min_value=0, max_value=1e6).map(repr),
    st.sampled_from(["NaN", "+Inf", "-Inf", "0", "1e15", "9007199254740992"]),
)
timestamps = st.integers(min_value=int(NOW.timestamp()) - 86400 * 2, max_value=int(NOW.timestamp()))
vector = st.fixed_dictionaries(
    {"metric": labels, "value": st.tuples(timestamps, value_text).map(list)}
)
matrix = st.fixed_dictionaries(
    {
        "metric": labels,
        "values": st.lists(st.tuples(timestamps, value_text).map(list), max_size=12),
    }
)


def prometheus_answer(kind: str) -> st.SearchStrategy[Any]:
    items = vector if kind == "vector" else matrix
    return st.fixed_dictionaries(
        {
            "status": st.just("success"),
            "data": st.fixed_dictionaries(
                {"resultType": st.just(kind), "result": st.lists(items, max_size=6)}
            ),
        },
        optional={"warnings": st.lists(st.text(max_size=20), max_size=3)},
    )


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*path, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found += _paths(child, (*path, i))
    return found


@st.composite
def mutated(draw: st.DrawFn, valid: st.SearchStrategy[Any]) -> Any:
    """A valid document with one node (the root included) replaced by any JSON value, or
    one key deleted."""
    doc = copy.deepcopy(draw(valid))
    path = draw(st.sampled_from(_paths(doc)))
    if not path:
        return draw(json_values)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(json_values)
    return doc


def _encode(doc: Any) -> bytes:
    return json.dumps(doc).encode()  # NaN and Infinity as the literals Python reads back


@st.composite
def garbage(draw: st.DrawFn, valid: st.SearchStrategy[Any]) -> bytes:
    kind = draw(st.sampled_from(["bytes", "truncated", "nested", "value"]))
    if kind == "bytes":
        return draw(st.binary(max_size=40))
    if kind == "truncated":
        text = _encode(draw(valid))
        return text[: draw(st.integers(0, max(len(text) - 1, 0)))]
    if kind == "nested":
        depth = draw(st.integers(1, 5000))
        return b'{"a":' * depth + b"1" + b"}" * depth
    return _encode(draw(json_values))


def bodies(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return st.one_of(valid.map(_encode), mutated(valid).map(_encode), garbage(valid))


def client(name: str, url: str, body: bytes) -> JsonClient:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    return JsonClient(name, url, transport=transport, retries=0)


def assert_one_line(error: BackendError, prefix: str | tuple[str, ...]) -> None:
    text = str(error)
    assert text.startswith(prefix) and "\n" not in text and len(text) < 700, text


def assert_bounded(value: float) -> None:
    assert not math.isfinite(value) or abs(value) <= MAX_NUMBER


@fuzz(700)
@given(bodies(prometheus_answer("vector")))
def test_prometheus_instant_answers(body: bytes) -> None:
    prometheus = PrometheusClient(client("prometheus", "http://prom:9090", body))
    try:
        samples = prometheus.query("up", NOW)
    except BackendError as exc:
        return assert_one_line(exc, "prometheus http://prom:9090/api/v1/query: ")
    for sample in samples:
        assert isinstance(sample, MetricSample) and isinstance(sample.value, float)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in sample.labels.items())
        assert_bounded(sample.value)


@fuzz(450)
@given(bodies(prometheus_answer("matrix")))
def test_prometheus_range_answers(body: bytes) -> None:
    prometheus = PrometheusClient(client("prometheus", "http://prom:9090", body))
    try:
        found = prometheus.query_range("up", NOW - timedelta(hours=1), NOW, timedelta(minutes=1))
    except BackendError as exc:
        return assert_one_line(exc, "prometheus http://prom:9090/api/v1/query_range: ")
    for series in found:
        assert isinstance(series, MetricSeries)
        assert [t for t, _ in series.points] == sorted(t for t, _ in series.points)
        for t, value in series.points:
            assert 0 <= t <= MAX_UNIX_SECONDS
            assert_bounded(value)


@fuzz(450)
@given(bodies(st.just(SEARCH)))
def test_tempo_search_answers(body: bytes) -> None:
    tempo = TempoClient(client("tempo", "http://tempo:3200", body))
    try:
        found = tempo.search("{ }", NOW - timedelta(hours=1), NOW, limit=5)
    except BackendError as exc:
        return assert_one_line(exc, "tempo http://tempo:3200/api/search: ")
    for summary in found:
        assert re.fullmatch("[0-9a-f]{32}", summary.trace_id)
        assert math.isfinite(summary.duration_ms) and 0 <= summary.start_ns < 2**63


@fuzz(450)
@given(bodies(st.just(TRACE)))
def test_tempo_trace_answers(body: bytes) -> None:
    tempo = TempoClient(client("tempo", "http://tempo:3200", body))
    problems: list[Any] = []
    try:
        spans = tempo.trace(TRACE_ID, problems.append)
    except BackendError as exc:  # not JSON at all: the backend is broken, not the trace
        assert not problems and "invalid JSON" in str(exc)
        return assert_one_line(exc, f"tempo http://tempo:3200/api/v2/traces/{TRACE_ID}: ")
    for span in spans:
        assert re.fullmatch("[0-9a-f]{32}", span.trace_id)
    assert all(len(str(problem)) < 700 for problem in problems)


@fuzz(300)
@given(bodies(st.just(METRICS)))
def test_tempo_metrics_answers(body: bytes) -> None:
    tempo = TempoClient(client("tempo", "http://tempo:3200", body))
    try:
        found = tempo.metrics_query_range("{ } | rate()", NOW - timedelta(hours=1), NOW, 60)
    except BackendError as exc:
        return assert_one_line(exc, "tempo http://tempo:3200/api/metrics/query_range: ")
    for series in found or []:
        assert all(0 <= t <= MAX_UNIX_SECONDS for t, _ in series.points)
        assert all(isinstance(v, str) for v in series.labels.values())


# The answer of each request of a run: valid, one node replaced, garbage, or an HTTP error.
_VALID = {
    "vector": prometheus_answer("vector"),
    "matrix": prometheus_answer("matrix"),
    "search": st.just(SEARCH),
    "trace": st.just(TRACE),
    "metrics": st.just(METRICS),
}


def _valid(kind: str) -> st.SearchStrategy[bytes]:
    return _VALID[kind].map(_encode)


def _answers(kind: str, healthy: bool) -> st.SearchStrategy[tuple[int, bytes]]:
    ok = st.tuples(st.just(200), _valid(kind))
    if healthy:  # valid shapes, odd data: the analyzers get to run on it
        return ok
    broken = st.tuples(st.just(200), bodies(_VALID[kind]))
    failed = st.tuples(st.sampled_from([400, 404, 500]), st.just(b"{}"))
    return st.one_of(ok, ok, broken, failed)


def _kind(request: httpx.Request) -> str:
    path = request.url.path
    if path.startswith("/api/v1/query_range"):
        return "matrix"
    if path.startswith("/api/v1/query"):
        return "vector"
    if path == "/api/search":
        return "search"
    return "metrics" if path.startswith("/api/metrics") else "trace"


@fuzz(650)
@given(st.data(), st.sampled_from(["both", "prometheus", "tempo"]))
def test_an_analysis_run_is_a_report_or_one_backend_error(data: st.DataObject, use: str) -> None:
    healthy = data.draw(st.fixed_dictionaries({kind: st.booleans() for kind in _VALID}))

    def handler(request: httpx.Request) -> httpx.Response:
        kind = _kind(request)
        status, body = data.draw(_answers(kind, healthy[kind]), label=request.url.path)
        return httpx.Response(status, content=body)

    transport = httpx.MockTransport(handler)
    prometheus = PrometheusClient(
        JsonClient("prometheus", "http://prom:9090", transport=transport, retries=0)
    )
    tempo = TempoClient(JsonClient("tempo", "http://tempo:3200", transport=transport, retries=0))
    try:
        report = analyze_backends(
            CONFIG,
            prometheus=prometheus if use != "tempo" else None,
            tempo=tempo if use != "prometheus" else None,
            window=timedelta(hours=1),
            baseline=timedelta(hours=1),
            now=NOW,
            max_traces=3,
        )
    except BackendError as exc:
        return assert_one_line(exc, ("prometheus http://prom:9090/", "tempo http://tempo:3200/"))
    assert report.complete == (not report.problems)
    render_json(report)
    render_markdown(report)
