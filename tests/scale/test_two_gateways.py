"""Two gateways in front of the samplers, for real: each keeps its own span-metric counters
(instance label = its E2E_OTELCOL_GATEWAY_ID), so Prometheus sums them exactly, without the
counter resets two writers of one series would cause, and a trace whose spans reach both
gateways still lands whole on one sampler."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from itertools import cycle

import httpx
import pytest

from e2e_otel import metrics as m
from e2e_otel.stack.scale_native import ScaledStack
from tests.scale.otlp_traffic import _attrs, _batches, make_traces
from tests.scale.test_two_tiers import _kept
from tests.stack.conftest import Prometheus, eventually, required

SERVICE = "two-gateways"
SEED = 23


@pytest.fixture(scope="module")
def two(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ScaledStack, int, dict[str, set[str]]]]:
    stack = ScaledStack(
        tmp_path_factory.mktemp("two"), samplers=2, gateways=2, sampling_percent=100
    )
    required(stack.start)
    try:
        traces = make_traces(600, SEED)
        resource = {"attributes": _attrs(service__name=SERVICE)}
        sent = 0
        endpoints = cycle(stack.gateway_endpoints)  # a trace's batches alternate gateways
        with httpx.Client(timeout=10) as client:
            for spans in _batches(traces, 50, SEED):
                body = {
                    "resourceSpans": [
                        {"resource": resource, "scopeSpans": [{"scope": {}, "spans": spans}]}
                    ]
                }
                response = client.post(f"{next(endpoints)}/v1/traces", json=body)
                assert response.status_code == 200, response.text
                sent += len(spans)
        expected = {t.trace_id: {s["spanId"] for s in t.spans} for t in traces}
        yield stack, sent, expected
    finally:
        stack.stop()


def test_span_metrics_from_two_gateways_sum_exactly_without_resets(
    two: tuple[ScaledStack, int, dict[str, set[str]]],
) -> None:
    stack, sent, _ = two
    prometheus = Prometheus(stack.prometheus_url)
    calls = f'{m.SPAN_CALLS}{{{m.JOB}="{SERVICE}"}}'
    eventually(lambda: prometheus.scalar(f"sum({calls})") == sent, f"sum({calls}) == {sent}", 90)
    instances = {s.get(m.INSTANCE) for s in prometheus.series(calls)}
    assert instances == {"gateway-0", "gateway-1"}
    assert prometheus.scalar(f"sum(resets({calls}[10m]))") == 0


def test_a_trace_split_across_gateways_lands_whole_on_one_sampler(
    two: tuple[ScaledStack, int, dict[str, set[str]]],
) -> None:
    stack, _, expected = two

    def complete() -> list[dict[str, set[str]]] | None:
        kept = [_kept(p) for p in stack.sampler_files]
        return kept if sum(len(k) for k in kept) == len(expected) else None

    kept = eventually(complete, "every trace kept (100 % baseline)", 90)
    owners: dict[str, int] = defaultdict(int)
    for per_sampler in kept:
        for trace_id, span_ids in per_sampler.items():
            owners[trace_id] += 1
            assert span_ids == expected[trace_id], trace_id
    assert set(owners.values()) == {1}
