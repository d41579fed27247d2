"""The builder keeps every browser span (fetches too) with what the frontend rules read."""

from __future__ import annotations

import pickle

from e2e_otel.analyzers.builder import DatasetBuilder
from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.sources.models import SpanRecord
from tests.analyzers.browser import fetch, page_load, render, vital, workflow
from tests.analyzers.conftest import Trace, dataset, spans_of


def _browser_traces() -> list[SpanRecord]:
    traces = [Trace() for _ in range(3)]
    for trace in traces:
        root = workflow(trace, "product_fetch", duration=100)
        fetch(trace, root, "/api/products/1/", start=1, duration=40)
        render(trace, "ProductGrid", duration=120)
        vital(trace, "LCP", 900)
        page_load(trace, "/products/1")
        trace.request("api/products/", parent=root)
    return spans_of(traces)


def _view(ds: Dataset) -> list[tuple[object, ...]]:
    return sorted(
        (ds.trace_ids[b.trace], b.span, b.parent, b.name, b.kind, b.target, b.value)
        for b in ds.browser
    )


def test_browser_spans_carry_what_the_frontend_rules_read() -> None:
    trace = Trace()
    root = workflow(trace, "checkout", duration=100, category="network_timeout")
    call = fetch(trace, root, "/api/checkout/", start=1, duration=90, method="POST")
    render(trace, "Cart", duration=5)
    vital(trace, "CLS", 0.12)
    page_load(trace, "/cart")
    by_name = {b.name: b for b in dataset(trace.spans).browser}
    fetched = by_name["POST"]
    assert (fetched.is_fetch, fetched.method, fetched.target) == (
        True,
        "POST",
        "http://127.0.0.1:8000/api/checkout/",
    )
    assert fetched.parent == int(root.span_id, 16) == by_name["workflow checkout"].span
    assert (fetched.workflow, fetched.workflow_id) == (
        "checkout",
        call.attributes["e2e.workflow.id"],
    )
    assert by_name["workflow checkout"].category == "network_timeout"
    assert by_name["render Cart"].target == "Cart"
    assert (by_name["web-vital CLS"].target, by_name["web-vital CLS"].value) == ("CLS", 0.12)
    assert by_name["documentLoad"].target == "/cart"


def test_merged_builders_keep_the_browser_spans_once() -> None:
    spans = _browser_traces()
    first, second = DatasetBuilder(), DatasetBuilder()
    for i, span in enumerate(spans):
        (first if i % 2 else second).add(span)
    second.add(spans[1])  # a copy of a span the first builder holds
    merged = DatasetBuilder()
    merged.merge(pickle.loads(pickle.dumps(first)))
    merged.merge(pickle.loads(pickle.dumps(second)))
    assert _view(merged.finish()) == _view(dataset(spans))
    assert len(dataset(spans).browser) == 15
