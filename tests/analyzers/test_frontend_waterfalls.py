"""Browser fetch waterfalls: reads of different URLs under one workflow, one after another."""

from __future__ import annotations

from e2e_otel.analyzers import frontend_waterfalls
from e2e_otel.analyzers.frontend_spans import url_template
from tests.analyzers.browser import fetch, navigation, workflow
from tests.analyzers.conftest import Trace, config, only, run


def _product_page(gap: float = 1.0) -> Trace:
    """The storefront's product page: detail, then reviews, then more products."""
    trace = Trace()
    root = workflow(trace, "product_fetch", duration=320)
    fetch(trace, root, "/api/products/7/", start=1, duration=60)
    fetch(trace, root, "/api/products/with-reviews/", start=61 + gap, duration=120)
    fetch(trace, root, "/api/products/?page=2", start=182 + 2 * gap, duration=100)
    return trace


def test_the_product_page_waterfall_is_a_finding_with_the_saving() -> None:
    traces = [_product_page(), _product_page()]
    result = run(frontend_waterfalls.analyze, traces)
    rec = only(result.recommendations)
    assert (rec.rule, rec.category, rec.priority) == ("fetch_waterfall", "frontend", "medium")
    assert rec.title == "3 browser requests in workflow product_fetch wait for each other"
    assert rec.expected_improvement_ms == 160  # 60 + 120 + 100 - 120
    assert rec.evidence.workflow == "product_fetch"
    assert rec.evidence.figures["occurrences"] == 2
    assert len(rec.evidence.trace_ids) == 2
    assert "Promise.all" in " ".join(rec.steps)
    assert "data dependencies" in rec.description
    (row,) = result.sections[0].rows
    assert row[2] == (
        "GET /api/products/{id}/ → GET /api/products/with-reviews/ → GET /api/products/"
    )


def test_concurrent_fetches_are_no_waterfall() -> None:
    trace = Trace()
    root = workflow(trace, "product_fetch", duration=200)
    fetch(trace, root, "/api/products/7/", start=1, duration=60)
    fetch(trace, root, "/api/products/with-reviews/", start=2, duration=120)
    assert run(frontend_waterfalls.analyze, [trace]).sections[0].rows == ()


def test_a_pause_longer_than_max_gap_breaks_the_chain() -> None:
    assert run(frontend_waterfalls.analyze, [_product_page(gap=80)]).sections[0].rows == ()
    cfg = config(fetch_waterfalls={"max_gap_ms": 100})
    assert run(frontend_waterfalls.analyze, [_product_page(gap=80)], cfg).recommendations


def test_the_same_endpoint_twice_and_a_write_then_a_read_are_no_waterfall() -> None:
    trace = Trace()
    root = workflow(trace, "cart_update", duration=400)
    fetch(trace, root, "/api/products/1/", start=0, duration=50)
    fetch(trace, root, "/api/products/2/", start=51, duration=50)  # same template: a loop
    fetch(trace, root, "/api/cart/items/1/", start=102, duration=100, method="PATCH")
    fetch(trace, root, "/api/cart/", start=203, duration=60)  # reads what the PATCH wrote
    assert run(frontend_waterfalls.analyze, [trace]).sections[0].rows == ()


def test_fetches_under_a_page_span_and_small_savings_stay_in_the_table() -> None:
    trace = Trace()
    page = navigation(trace, "/products/7", duration=100)
    fetch(trace, page, "/api/products/7/", start=0, duration=10)
    fetch(trace, page, "/api/reviews/", start=10, duration=5)
    result = run(frontend_waterfalls.analyze, [trace])
    assert result.recommendations == ()  # 5 ms < min_saving_ms
    assert [row[1] for row in result.sections[0].rows] == ["page /products/{id}"]


def test_url_templates() -> None:
    assert url_template("http://h:1/api/products/42/?page=2") == "/api/products/{id}/"
    uuid = "0b6e216d-daae-45b1-a7b7-c88efa17ecbd"
    assert url_template(f"/api/orders/{uuid}/items/3") == "/api/orders/{id}/items/{id}"
