"""The Tempo client on the response shapes of Tempo's API documentation (tests/fixtures/tempo):
search with select spanSets, trace fetch v2 and v1 (base64 ids -> hex), TraceQL metrics, and
the clean degrade when a Tempo does not offer TraceQL metrics."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from e2e_otel.sources.http import BackendError, JsonClient
from e2e_otel.sources.models import InputProblem
from e2e_otel.sources.tempo import TempoClient, hex_id

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
    with pytest.raises(BackendError, match="no traces list in the answer"):
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
