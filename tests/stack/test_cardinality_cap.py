"""The span-metric cardinality cap, on the real collector and Prometheus: an app that puts raw
ids in ``http.route`` (a broken route template) cannot grow Prometheus past
``E2E_OTELCOL_SPANMETRICS_CARDINALITY_LIMIT`` label combinations; the excess is counted in one
``otel_metric_overflow="true"`` series, so no span goes uncounted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e_otel import metrics as m
from e2e_otel.stack.native import NativeStack
from tests.scale.otlp_traffic import make_traces, send
from tests.stack.conftest import Prometheus, eventually, required

SERVICE = "cap-test"
LIMIT = 25
ROUTES = 120


@pytest.fixture(scope="module")
def capped(
    collector_bin: Path, prometheus_bin: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Prometheus, int]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("E2E_OTELCOL_SPANMETRICS_CARDINALITY_LIMIT", str(LIMIT))
        stack = NativeStack(
            tmp_path_factory.mktemp("cap"),
            collector_bin=collector_bin,
            prometheus_bin=prometheus_bin,
        )
        required(stack.start)
    try:
        traces = make_traces(ROUTES, seed=3)
        for index, trace in enumerate(traces):
            for span in trace.spans:
                for attribute in span["attributes"]:
                    if attribute["key"] == "http.route":  # a raw id where a template belongs
                        attribute["value"] = {"stringValue": f"api/products/{index}/"}
        sent = send(stack.otlp_http_endpoint, SERVICE, traces, seed=3)
        yield Prometheus(stack.prometheus_url), sent
    finally:
        stack.stop()


def test_combinations_stop_at_the_limit_and_the_rest_is_counted_as_overflow(
    capped: tuple[Prometheus, int],
) -> None:
    prometheus, sent = capped
    # `job` (service.name, a resource attribute) is on the overflow series too; span dimensions
    # such as service_name are not.
    calls = f'{m.SPAN_CALLS}{{{m.JOB}="{SERVICE}"}}'
    eventually(lambda: prometheus.scalar(f"sum({calls})") == sent, f"sum({calls}) == {sent}", 90)
    series = prometheus.series(calls)
    overflow = [s for s in series if s.get(m.OVERFLOW) == "true"]
    assert len(overflow) == 1, overflow
    assert len(series) <= LIMIT + 1, len(series)
    # Without the cap this traffic makes one combination per route (plus the query spans').
    routes = {s.get(m.HTTP_ROUTE) for s in series if s.get(m.HTTP_ROUTE)}
    assert len(routes) < ROUTES
    assert prometheus.scalar(f'sum({calls[:-1]}, {m.OVERFLOW}="true"}})') > 0
