"""The Tempo client on the response shapes of Tempo's API documentation (tests/fixtures/tempo):
search with select spanSets, trace fetch v2 and v1 (base64 ids -> hex), TraceQL metrics, and
the clean degrade when a Tempo does not offer TraceQL metrics."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from e2e_otel.sources.http import BackendError, JsonClient
from e2e_otel.sources.models import InputProblem
from e2e_otel.sources.tempo import TempoClient
from e2e_otel.sources.tempo_api import hex_id

FIXTURES = Path(__file__).parent.parent / "fixtures" / "tempo"
TRACE_ID = "00f067aa0ba902b7a3ce1d4e5f607182"
START = datetime(2023, 11, 14, 22, tzinfo=timezone.utc)
END = datetime(2023, 11, 14, 23, tzinfo=timezone.utc)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def tempo(
    routes: dict[str, httpx.Response], seen: list[httpx.Request] | None = None
) -> TempoClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return routes.get(request.url.path, httpx.Response(404, text="not found"))

    return TempoClient(
        JsonClient("tempo", "http://tempo:3200", transport=httpx.MockTransport(handler))
    )


def test_hex_ids_from_base64_and_short_hex() -> None:
    assert hex_id("APBnqgupArejzh1OX2Bxgg==", 16) == TRACE_ID
    assert hex_id("f067aa0ba902b7a3ce1d4e5f607182", 16) == TRACE_ID  # leading zeros dropped
    assert hex_id("CgsMDQ4PEBE=", 8) == "0a0b0c0d0e0f1011"
    assert hex_id("0A1B2C3D4E5F6071", 8) == "0a1b2c3d4e5f6071"
    with pytest.raises(ValueError, match="8-byte id"):
        hex_id("not an id!", 8)


def test_search_sends_traceql_and_reads_span_sets() -> None:
    seen: list[httpx.Request] = []
    client = tempo({"/api/search": httpx.Response(200, json=fixture("search.json"))}, seen)
    found = client.search("{ status = error } | select(span.e2e.layer)", START, END, limit=50)
    params = seen[0].url.params
    assert params["q"] == "{ status = error } | select(span.e2e.layer)"
    assert (params["start"], params["end"], params["limit"], params["spss"]) == (
        str(int(START.timestamp())),
        str(int(END.timestamp()) + 1),
        "50",
        "3",
    )
    first, second = found
    assert first.trace_id == TRACE_ID and first.duration_ms == 250
    assert first.root_name == "GET api/products/with-reviews/"
    assert first.spans[0]["e2e.workflow.type"] == "product_reviews"
    assert first.spans[0]["duration_ns"] == 250_000_000
    # Tempo before 2.2: one "spanSet" object.
    assert second.spans[0]["e2e.error.category"] == "db_integrity"


def test_a_search_without_matches_is_empty_not_an_error() -> None:
    # Tempo leaves the empty "traces" list out of its JSON (protobuf's mapping does).
    client = tempo({"/api/search": httpx.Response(200, json={"metrics": {"inspectedTraces": 9}})})
    assert client.search("{ status = error }", START, END, limit=5) == []
    broken = tempo({"/api/search": httpx.Response(200, json={"traces": {"a": 1}})})
    with pytest.raises(BackendError, match="malformed answer: traces: expected a list"):
        broken.search("{ status = error }", START, END, limit=5)


@pytest.mark.parametrize("fixture_name", ["trace_v2.json"])
def test_trace_v2_becomes_spans_with_hex_ids(fixture_name: str) -> None:
    seen: list[httpx.Request] = []
    path = f"/api/v2/traces/{TRACE_ID}"
    client = tempo({path: httpx.Response(200, json=fixture(fixture_name))}, seen)
    problems: list[InputProblem] = []
    spans = client.trace(TRACE_ID, problems.append, START, END)
    assert not problems and len(spans) == 8
    server = next(s for s in spans if s.kind == "server")
    assert server.trace_id == TRACE_ID and server.span_id == "0a1b2c3d4e5f6071"
    assert server.service_name == "shop-api" and server.attr("http.route")
    db = [s for s in spans if s.kind == "client"]
    assert {s.parent_span_id for s in db} == {"0a1b2c3d4e5f6071"}
    assert seen[0].url.params["start"] == str(int(START.timestamp()))


def test_trace_v1_when_the_v2_api_is_missing_and_v1_from_then_on() -> None:
    seen: list[httpx.Request] = []
    routes = {f"/api/traces/{TRACE_ID}": httpx.Response(200, json=fixture("trace_v1.json"))}
    client = tempo(routes, seen)
    problems: list[InputProblem] = []
    spans = client.trace(TRACE_ID, problems.append)
    assert len(spans) == 8 and spans[0].trace_id == TRACE_ID
    client.trace(TRACE_ID, problems.append)
    assert not problems
    assert [r.url.path.split("/")[2] for r in seen] == ["v2", "traces", "traces"]


def test_missing_and_partial_traces_are_problems_not_errors() -> None:
    partial = fixture("trace_v2_partial.json")
    client = tempo({"/api/v2/traces/" + TRACE_ID: httpx.Response(200, json=partial)})
    problems: list[InputProblem] = []
    assert len(client.trace(TRACE_ID, problems.append)) == 8
    assert client.trace("ab" * 16, problems.append) == []
    assert [p.reason for p in problems] == [
        "partial trace: 2 blocks could not be read",
        "trace not found",
    ]
    assert str(problems[1]) == f"tempo trace {'ab' * 16}:0: trace not found"


def test_a_failing_tempo_raises_one_line() -> None:
    client = tempo({"/api/search": httpx.Response(500, text="internal error")})
    client.http.retries = 0
    with pytest.raises(BackendError) as info:
        client.search("{ }", START, END, limit=1)
    assert str(info.value) == "tempo http://tempo:3200/api/search: HTTP 500 after 1 attempts"


def test_traceql_metrics_query_range() -> None:
    seen: list[httpx.Request] = []
    body = fixture("metrics_query_range.json")
    client = tempo({"/api/metrics/query_range": httpx.Response(200, json=body)}, seen)
    query = "{ kind = server } | quantile_over_time(duration, .95) by (span.http.route)"
    series = client.metrics_query_range(query, START, END, 60)
    assert series is not None
    (one,) = series
    assert one.labels["span.http.route"] == "api/products/with-reviews/"
    assert one.labels["p"] == "0.95"
    assert one.points[0] == (1700000000.0, 0.0)  # protobuf JSON leaves a zero value out
    assert one.points[1:4] == ((1700000060.0, 0.02), (1700000120.0, 0.02), (1700000180.0, 0.02))
    assert seen[0].url.params["step"] == "60s" and seen[0].url.params["q"] == query


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(404, text="404 page not found"),
        httpx.Response(400, text="localblocks processor not found: TraceQL metrics not enabled"),
    ],
)
def test_unsupported_traceql_metrics_degrade_to_none(answer: httpx.Response) -> None:
    client = tempo({"/api/metrics/query_range": answer})
    assert client.metrics_query_range("{ } | rate()", START, END, 60) is None


def test_a_bad_traceql_metrics_query_is_still_an_error() -> None:
    answer = httpx.Response(400, text="parse error at line 1, col 3: syntax error")
    client = tempo({"/api/metrics/query_range": answer})
    with pytest.raises(BackendError, match="HTTP 400: parse error"):
        client.metrics_query_range("{ | rate()", START, END, 60)


def _answer(body: object) -> httpx.Response:
    """``body`` as JSON, infinities included (Python's encoder writes ``Infinity``)."""
    return httpx.Response(200, content=json.dumps(body).encode())


def _search(traces: object) -> dict[str, httpx.Response]:
    return {"/api/search": _answer({"traces": traces})}


@pytest.mark.parametrize(
    ("routes", "reason"),
    [
        (_search([1]), "traces[0]: expected an object, got a number 1"),
        (_search([{"traceID": "1", "spanSets": [1]}]), "traces[0].spanSets[0]: expected an object"),
        (_search([{"traceID": "1", "spanSets": 5}]), "traces[0].spanSets: expected a list"),
        (_search([{"traceID": 5}]), "traces[0].traceID: expected a string, got a number 5"),
        (_search([{"traceID": "xyz"}]), "not a 16-byte id in hex or base64: 'xyz'"),
        (_search([{"traceID": "a" * 10_000}]), "not a 16-byte id in hex or base64: 'aaaaaa"),
        (_search([{"traceID": "1", "durationMs": "NaN"}]), "durationMs: expected a finite number"),
        (_search([{"traceID": "1", "durationMs": 1e300}]), "durationMs: 1e+300 is out of range"),
        (_search([{"traceID": "1", "startTimeUnixNano": "soon"}]), "expected an integer"),
        (
            _search([{"traceID": "1", "spanSets": [{"spans": [{"durationNanos": 1e400}]}]}]),
            "durationNanos: expected an integer, got a number inf",
        ),
        (
            _search([{"traceID": "1", "spanSets": [{"spans": [{"attributes": 5}]}]}]),
            "spans[0].attributes: expected a list",
        ),
        (
            _search(
                [
                    {
                        "traceID": "1",
                        "spanSets": [
                            {"spans": [{"attributes": [{"key": "k", "value": {"intValue": "x"}}]}]}
                        ],
                    }
                ]
            ),
            "spans[0].attributes: unreadable attribute: invalid literal for int()",
        ),
        ({"/api/search": _answer([1])}, "the answer: expected an object"),
        ({"/api/search": httpx.Response(200, content=b"[" * 100_000)}, "nested too deeply"),
    ],
)
def test_a_search_answer_of_the_wrong_shape_is_a_backend_error(
    routes: dict[str, httpx.Response], reason: str
) -> None:
    with pytest.raises(BackendError) as info:
        tempo(routes).search("{ }", START, END, limit=5)
    message = str(info.value)
    assert message.startswith("tempo http://tempo:3200/api/search: ")
    assert reason in message and len(message) < 400


def _trace(body: object) -> TempoClient:
    return tempo({"/api/v2/traces/" + TRACE_ID: _answer(body)})


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"batches": [1]}, "batches[0]: expected an object, got a number 1"),
        ({"batches": [{"resource": 5}]}, "batches[0].resource: expected an object"),
        (
            {"batches": [{"resource": {"attributes": [{"key": "a", "value": {"intValue": "x"}}]}}]},
            "malformed resourceSpans entry skipped: invalid literal for int()",
        ),
        ({"batches": [{"scopeSpans": 5}]}, "batches[0].scopeSpans: expected a list"),
        ({"batches": [{"scopeSpans": [{"spans": [7]}]}]}, "scopeSpans[0].spans[0]: expected an"),
        ({"trace": {"resourceSpans": "x"}}, "resourceSpans: expected a list, got a string"),
        ({"trace": [1]}, "the trace: expected an object, got a list"),
        ([1, 2], "the trace: expected an object, got a list"),
        (
            {"batches": [{"scopeSpans": [{"spans": [{"spanId": "zz", "traceId": "zz"}]}]}]},
            "not a 16-byte id in hex or base64: 'zz'",
        ),
        (
            {
                "batches": [
                    {
                        "scopeSpans": [
                            {
                                "spans": [
                                    {
                                        "traceId": "ab" * 16,
                                        "spanId": "cd" * 8,
                                        "startTimeUnixNano": "1700000000000000000",
                                        "endTimeUnixNano": "1700000000000000001",
                                        "attributes": [{"key": "a", "value": {"arrayValue": [1]}}],
                                    }
                                ]
                            }
                        ]
                    }
                ]
            },
            "malformed span skipped: attribute arrayValue of the wrong shape: [1]",
        ),
    ],
)
def test_a_trace_of_the_wrong_shape_is_a_problem_of_that_trace(body: object, reason: str) -> None:
    problems: list[InputProblem] = []
    assert _trace(body).trace(TRACE_ID, problems.append) == []
    (problem,) = problems
    assert problem.path == f"tempo trace {TRACE_ID}"
    assert problem.reason.startswith("malformed ") and reason in problem.reason


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"series": [1]}, "series[0]: expected an object, got a number 1"),
        ({"series": {"a": 1}}, "series: expected a list"),
        ({"series": [{"labels": 5}]}, "series[0].labels: expected a list"),
        ({"series": [{"samples": [{"timestampMs": 10**400}]}]}, "timestampMs: 1000000"),
        ({"series": [{"samples": [{"timestampMs": "x"}]}]}, "timestampMs: expected a number"),
        ({"series": [{"samples": [{"timestampMs": 1, "value": "x"}]}]}, "value: expected a number"),
        ({"series": [{"samples": [{"timestampMs": 1, "value": 1e300}]}]}, "is out of range"),
        ([1], "the answer: expected an object, got a list"),
    ],
)
def test_a_metrics_answer_of_the_wrong_shape_is_a_backend_error(body: object, reason: str) -> None:
    client = tempo({"/api/metrics/query_range": _answer(body)})
    with pytest.raises(BackendError) as info:
        client.metrics_query_range("{ } | rate()", START, END, 60)
    assert str(info.value).startswith("tempo http://tempo:3200/api/metrics/query_range: ")
    assert reason in str(info.value)


def test_nan_in_traceql_metrics_is_a_value() -> None:
    body = {"series": [{"labels": [], "samples": [{"timestampMs": "1000", "value": "NaN"}]}]}
    client = tempo({"/api/metrics/query_range": _answer(body)})
    found = client.metrics_query_range("{ } | rate()", START, END, 60)
    assert found is not None
    ((time, value),) = found[0].points
    assert time == 1.0 and math.isnan(value)
