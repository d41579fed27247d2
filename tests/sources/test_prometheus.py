"""Prometheus client parsing (vector, matrix, NaN/Inf, failures) and the fixed query set of
fetch_metrics, over httpx's MockTransport: no server needed to check what we send and parse."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from e2e_otel import metrics as m
from e2e_otel.config import Config, parse_config
from e2e_otel.sources.http import BackendError, JsonClient
from e2e_otel.sources.models import MetricSample
from e2e_otel.sources.prometheus import (
    QUERY_COUNT,
    PrometheusClient,
    SeriesGrid,
    fetch_metrics,
    instant_queries,
    range_queries,
    series_grid,
)

NOW = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
Handler = Callable[[httpx.Request], httpx.Response]


def prometheus(handler: Handler) -> PrometheusClient:
    transport = httpx.MockTransport(handler)
    return PrometheusClient(JsonClient("prometheus", "http://prom:9090", transport=transport))


def success(result_type: str, result: list[dict[str, Any]]) -> httpx.Response:
    body = {"status": "success", "data": {"resultType": result_type, "result": result}}
    return httpx.Response(200, json=body)


def test_instant_query_parses_labels_and_special_values() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return success(
            "vector",
            [
                {"metric": {"http_route": "api/a/"}, "value": [1714564800, "12.5"]},
                {"metric": {"http_route": "api/b/"}, "value": [1714564800, "NaN"]},
                {"metric": {}, "value": [1714564800, "+Inf"]},
            ],
        )

    samples = prometheus(handler).query("up", NOW)
    assert samples[0].labels == {"http_route": "api/a/"} and samples[0].value == 12.5
    assert math.isnan(samples[1].value) and samples[2].value == math.inf
    assert seen[0].url.path == "/api/v1/query"
    assert seen[0].url.params["query"] == "up"
    assert float(seen[0].url.params["time"]) == NOW.timestamp()


def test_range_query_parses_points_in_order() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/query_range"
        assert request.url.params["step"] == "60"
        values = [[1714564740, "1"], [1714564800, "-Inf"]]
        return success("matrix", [{"metric": {"le": "5"}, "values": values}])

    (series,) = prometheus(handler).query_range(
        "x", NOW - timedelta(minutes=1), NOW, timedelta(minutes=1)
    )
    assert series.labels == {"le": "5"}
    assert series.points == ((1714564740.0, 1.0), (1714564800.0, -math.inf))


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (success("matrix", []), "expected a vector, got 'matrix'"),
        (httpx.Response(200, json={"status": "error", "error": "boom"}), "query failed: boom"),
        (httpx.Response(200, json={"status": "success", "data": "x"}), "data: expected an object"),
        (
            httpx.Response(400, json={"status": "error", "error": 'parse error at char 5: "}"'}),
            "HTTP 400: parse error",
        ),
    ],
)
def test_failures_are_one_line_backend_errors(response: httpx.Response, reason: str) -> None:
    with pytest.raises(BackendError) as info:
        prometheus(lambda request: response).query("up", NOW)
    assert str(info.value).startswith("prometheus http://prom:9090/api/v1/query: ")
    assert reason in str(info.value)


def test_queries_use_the_pipelines_names_and_both_method_conventions() -> None:
    queries = [*instant_queries(timedelta(minutes=30)).values()]
    queries += [*range_queries(timedelta(minutes=1)).values()]
    for query in queries:
        assert query.startswith(("sum by (", "label_replace(histogram_quantile("))
        assert m.HTTP_METHOD in query and m.HTTP_REQUEST_METHOD in query
    assert all("[1800s]" in q for q in instant_queries(timedelta(minutes=30)).values())
    assert (
        f'{m.STATUS_CODE}!="{m.STATUS_ERROR}"' in instant_queries(timedelta(1))["service_buckets"]
    )


def _endpoint_data(endpoints: int) -> Handler:
    """A Prometheus with ``endpoints`` endpoints: every query answers one series per endpoint
    (one bucket per endpoint for the bucket queries)."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("query_range"):
            series: list[dict[str, Any]] = [
                {"metric": {m.HTTP_ROUTE: f"api/r{i}/"}, "values": [[1714564800, "1"]]}
                for i in range(endpoints)
            ]
            return success("matrix", series)
        result: list[dict[str, Any]] = [
            {"metric": {m.HTTP_ROUTE: f"api/r{i}/", m.LE: "200"}, "value": [1714564800, "3"]}
            for i in range(endpoints)
        ]
        return success("vector", result)

    return handler


@pytest.mark.parametrize("endpoints", [2, 40])
def test_the_number_of_requests_does_not_grow_with_endpoints(endpoints: int) -> None:
    paths: list[str] = []
    handler = _endpoint_data(endpoints)

    def counting(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return handler(request)

    client = prometheus(counting)
    grid = series_grid(NOW, timedelta(hours=1), timedelta(days=1))
    metrics = fetch_metrics(client, now=NOW, window=timedelta(hours=1), grid=grid)
    assert len(paths) == client.requests == QUERY_COUNT == 16
    assert paths.count("/api/v1/query") == len(instant_queries(timedelta(hours=1)))
    assert len(metrics.endpoint_calls) == endpoints and len(metrics.route_p95) == endpoints
    assert metrics.start == NOW - timedelta(hours=1) and metrics.end == NOW


def test_range_queries_cover_baseline_and_window() -> None:
    ranges: list[tuple[float, float, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("query_range"):
            params = request.url.params
            ranges.append((float(params["start"]), float(params["end"]), params["step"]))
            return success("matrix", [])
        return success("vector", [])

    grid = SeriesGrid(NOW - timedelta(hours=10), NOW, timedelta(minutes=6))
    fetch_metrics(prometheus(handler), now=NOW, window=timedelta(hours=1), grid=grid)
    start = (NOW - timedelta(hours=10)).timestamp()
    assert set(ranges) == {(start, NOW.timestamp(), "360")}


def test_the_grid_puts_enough_points_in_the_window_for_the_detector() -> None:
    # The compose service's defaults: 1 h window, 24 h baseline -> 6 min steps, so a change in
    # the middle of the window has 5 points after it (the detector's minimum segment).
    grid = series_grid(NOW, timedelta(hours=1), timedelta(hours=24), points_in_window=10)
    assert grid.step == timedelta(minutes=6)
    assert grid.end == NOW and grid.start == NOW - timedelta(hours=25)
    in_window = (grid.end - (NOW - timedelta(hours=1))) / grid.step
    assert in_window == 10


def test_the_grid_is_aligned_so_successive_runs_read_the_same_points() -> None:
    first = series_grid(NOW + timedelta(seconds=17), timedelta(hours=1), timedelta(hours=2))
    later = series_grid(
        NOW + timedelta(minutes=5, seconds=3), timedelta(hours=1), timedelta(hours=2)
    )
    for grid in (first, later):
        assert grid.start.timestamp() % grid.step.total_seconds() == 0
        assert grid.end.timestamp() % grid.step.total_seconds() == 0
    assert first.end == later.end == NOW  # the step in progress is not read yet
    # Both grids hold the points of the earlier one from its start on.
    assert (first.start - later.start) % first.step == timedelta(0)


def test_the_grid_has_a_floor_step_and_a_bounded_number_of_points() -> None:
    short = series_grid(NOW, timedelta(minutes=5), timedelta(hours=1), points_in_window=10)
    assert short.step == timedelta(minutes=1)  # not 30 s: an increase needs a few scrapes
    long = series_grid(NOW, timedelta(hours=1), timedelta(days=30), max_points=500)
    assert (long.end - long.start) / long.step == 499  # 500 points, not 30 days of them


def test_from_config_uses_the_backends_settings() -> None:
    config = parse_config(
        {"backends": {"prometheus": {"url": "http://m:9009/prometheus", "retries": 0}}}
    )
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(503)

    client = PrometheusClient.from_config(config, transport=httpx.MockTransport(handler))
    with pytest.raises(BackendError, match="HTTP 503 after 1 attempts"):
        client.query("up", NOW)
    assert seen[0].startswith("http://m:9009/prometheus/api/v1/query?")
    assert PrometheusClient.from_config(Config()).url == "http://localhost:9090"


def _vector(item: object) -> bytes:
    body = {"status": "success", "data": {"resultType": "vector", "result": [item]}}
    return json.dumps(body).encode()


def _matrix(values: object) -> bytes:
    result = [{"metric": {}, "values": values}]
    body = {"status": "success", "data": {"resultType": "matrix", "result": result}}
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (_vector({"metric": {}, "value": {"a": 1}}), "data.result[0].value: expected a list"),
        (_vector(1), "data.result[0]: expected an object, got a number 1"),
        (_vector({"metric": 5, "value": [0, "1"]}), "data.result[0].metric: expected an object"),
        (_vector({"metric": {"a": 1}, "value": [0, "1"]}), "metric.a: expected a string"),
        (_vector({"value": [0, "1", 2]}), "value: expected [time, value]"),
        (_vector({"value": [0, "twelve"]}), "value[1]: expected a number, got a string"),
        (_vector({"value": [0, True]}), "value[1]: expected a number, got a boolean"),
        (_vector({"value": [0, 10**400]}), "value[1]: 1000000000000000000000000000000000000..."),
        (_vector({"value": [0, "1e300"]}), "value[1]: '1e300' is out of range"),
        (_vector({"value": ["NaN", "1"]}), "value[0]: expected a finite number, got 'NaN'"),
        (_vector({"value": [-5, "1"]}), "value[0]: -5 is not between 0 and"),
        (
            b'{"status":"success","data":{"resultType":"vector","result":[{"value":[0,'
            + b"9" * 5000
            + b"]}]}}",
            "invalid JSON in the response: Exceeds the limit",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "invalid JSON in the response: nested too deeply"),
        (json.dumps({"status": "success", "data": [1]}).encode(), "data: expected an object"),
        (
            json.dumps({"status": "success", "warnings": "abc", "data": {}}).encode(),
            "warnings: expected a list, got a string 'abc'",
        ),
        (
            json.dumps({"status": "success", "warnings": [{"a": 1}], "data": {}}).encode(),
            "warnings[0]: expected a string",
        ),
        (
            json.dumps(
                {"status": "success", "data": {"resultType": "vector", "result": {}}}
            ).encode(),
            "data.result: expected a list, got an object",
        ),
        (_matrix([{"a": 1}]), "data.result[0].values[0]: expected a list, got an object"),
        (_matrix(["12"]), "data.result[0].values[0]: expected a list, got a string '12'"),
        (_matrix([["NaN", "1"]]), "values[0][0]: expected a finite number, got 'NaN'"),
        (_matrix({"a": 1}), "data.result[0].values: expected a list"),
    ],
)
def test_an_answer_of_the_wrong_shape_is_a_backend_error_naming_the_field(
    body: bytes, reason: str
) -> None:
    client = prometheus(lambda request: httpx.Response(200, content=body))
    with pytest.raises(BackendError) as info:
        if b'"matrix"' in body:
            client.query_range("up", NOW - timedelta(minutes=1), NOW, timedelta(minutes=1))
        else:
            client.query("up", NOW)
    message = str(info.value)
    assert message.startswith("prometheus http://prom:9090/api/v1/query")
    assert reason in message and "\n" not in message and len(message) < 400


def test_nan_and_inf_as_strings_are_values_and_numbers_may_be_json_numbers() -> None:
    items = [
        {"metric": {"q": "a"}, "value": [1714564800.5, "NaN"]},
        {"metric": {"q": "b"}, "value": [1714564800, "-Inf"]},
        {"metric": None, "value": [1714564800, 7]},
    ]
    body = {"status": "success", "data": {"resultType": "vector", "result": items}}
    samples = prometheus(lambda request: httpx.Response(200, json=body)).query("up", NOW)
    assert math.isnan(samples[0].value) and samples[1].value == -math.inf
    assert samples[2] == MetricSample({}, 7.0)


def test_warnings_are_kept_short_few_and_without_secrets() -> None:
    warnings = ["x" * 300 + " s3cret-token-9", *(f"warning {i}" for i in range(50))]
    data = {"resultType": "vector", "result": []}
    body = {"status": "success", "warnings": warnings, "data": data}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    client = PrometheusClient(
        JsonClient("prometheus", "http://prom:9090", transport=transport, token="s3cret-token-9")
    )
    client.query("up", NOW)
    assert len(client.warnings) == 10
    assert all(len(w) <= 220 and "s3cret" not in w for w in client.warnings)
