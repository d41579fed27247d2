"""The scaled-out stack, run for real: one gateway collector (span metrics on 100 % of the
spans, load balancing by trace id), two tail-sampling collectors, Debian's Prometheus.

Same config files as the compose ``scale`` profile (collector-config/scale/), driven by
seeded synthetic traces (tests/scale/otlp_traffic.py).
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from e2e_otel.sources.models import SamplingMark
from e2e_otel.sources.otlp_files import read_spans
from e2e_otel.stack.scale_native import ScaledStack
from tests.scale.otlp_traffic import MUST_KEEP, Trace, make_traces, send
from tests.stack.conftest import Prometheus, eventually, required

SERVICE = "scale-test"
TRACES = 1_500
PERCENT = 20.0
SEED = 17


@dataclass
class Run:
    stack: ScaledStack
    prometheus: Prometheus
    traces: list[Trace]
    spans_sent: int
    kept: list[dict[str, set[str]]]  # per sampler: trace id -> span ids


def _kept(path: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    if not path.exists():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        for resource in json.loads(line).get("resourceSpans", []):
            for scope in resource.get("scopeSpans", []):
                for span in scope.get("spans", []):
                    found[span["traceId"]].add(span["spanId"])
    return found


def _settled(stack: ScaledStack, must_keep: set[str]) -> list[dict[str, set[str]]] | None:
    """The samplers' files once they hold every must-keep trace and stopped growing."""
    first = [_kept(p) for p in stack.sampler_files]
    if not must_keep <= set().union(*(k.keys() for k in first)):
        return None
    time.sleep(5)  # decision_wait (2 s) + its tick + file flushes later: still the same?
    second = [_kept(p) for p in stack.sampler_files]
    return second if second == first else None


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    workdir = tmp_path_factory.mktemp("scale")
    stack = ScaledStack(workdir, samplers=2, sampling_percent=PERCENT, decision_wait="2s")
    required(stack.start)
    try:
        traces = make_traces(TRACES, SEED)
        sent = send(stack.otlp_http_endpoint, SERVICE, traces, SEED)
        must_keep = {t.trace_id for t in traces if t.kind in MUST_KEEP}
        kept = eventually(lambda: _settled(stack, must_keep), "the samplers' decisions", 90)
        yield Run(stack, Prometheus(stack.prometheus_url), traces, sent, kept)
    finally:
        stack.stop()


def test_span_metrics_count_every_span_sent_exactly(run: Run) -> None:
    # The gateway computes span metrics before any sampling: the calls counter is the number
    # of spans sent, not of spans kept.
    query = f'sum(traces_span_metrics_calls_total{{job="{SERVICE}"}})'
    counted = eventually(
        lambda: (v := run.prometheus.scalar(query)) == run.spans_sent and v,
        f"{query} == {run.spans_sent}",
        90,
    )
    assert counted == run.spans_sent
    kept_spans = sum(len(s) for k in run.kept for s in k.values())
    assert kept_spans < run.spans_sent  # sampling did drop spans; the metrics did not


def test_every_trace_lands_whole_on_one_sampler(run: Run) -> None:
    spans_of = {t.trace_id: {s["spanId"] for s in t.spans} for t in run.traces}
    owners: dict[str, list[int]] = defaultdict(list)
    for index, kept in enumerate(run.kept):
        for trace_id, span_ids in kept.items():
            owners[trace_id].append(index)
            assert span_ids == spans_of[trace_id], f"trace {trace_id} incomplete on sampler {index}"
    split = {t: o for t, o in owners.items() if len(o) > 1}
    assert not split, f"traces on more than one sampler: {list(split.items())[:5]}"
    # Both samplers got a share of the traces (routing spreads load, not just groups it).
    assert all(len(k) > 0.25 * len(owners) for k in run.kept), [len(k) for k in run.kept]


def test_error_slow_and_n_plus_one_traces_are_always_kept(run: Run) -> None:
    kept = set().union(*(k.keys() for k in run.kept))
    for kind in MUST_KEEP:
        ids = {t.trace_id for t in run.traces if t.kind == kind}
        assert ids, kind
        missing = ids - kept
        assert not missing, f"{len(missing)} of {len(ids)} {kind} traces dropped"


def test_the_baseline_keeps_its_share_of_ordinary_traces(run: Run) -> None:
    kept = set().union(*(k.keys() for k in run.kept))
    normal = [t.trace_id for t in run.traces if t.kind == "normal"]
    share = sum(t in kept for t in normal) / len(normal)
    p = PERCENT / 100
    sigma = math.sqrt(p * (1 - p) / len(normal))
    assert abs(share - p) < 4 * sigma, f"kept {share:.3f} of ordinary traces, configured {p}"


def test_every_kept_span_carries_the_sampling_mark(run: Run) -> None:
    # The sampler's transform processor marks each kept span's resource with the percent it
    # ran with (20 here, not the default 10): the analyzer reads it to say its traces are a
    # sample.
    marks = {span.sampling for path in run.stack.sampler_files for span in read_spans([path])}
    assert marks == {SamplingMark("tail", PERCENT)}
