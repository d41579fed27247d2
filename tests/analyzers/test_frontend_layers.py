"""Workflow time by layer: frontend (not covered by fetches), API, database."""

from __future__ import annotations

from e2e_otel.analyzers import frontend_layers
from tests.analyzers.browser import fetch, workflow
from tests.analyzers.conftest import PRODUCTS, Trace, run


def test_the_shares_of_frontend_api_and_database_time() -> None:
    trace = Trace()
    root = workflow(trace, "checkout", duration=400)
    first = fetch(trace, root, "/api/cart/", start=50, duration=100)
    fetch(trace, root, "/api/checkout/", start=120, duration=130, method="POST")  # overlaps
    server = trace.request("api/cart/", parent=first, start=60, duration=80, workflow="checkout")
    trace.query(server, PRODUCTS, start=70, duration=40)
    other = Trace()
    workflow(other, "checkout", duration=100)  # no fetch: all frontend
    (section,) = run(frontend_layers.analyze, [trace, other]).sections
    # 500 ms in all: covered 200 (50-250), of which 40 in the database; frontend 300.
    assert section.rows == (("checkout", 2, 400.0, 60.0, 32.0, 8.0, 1.0),)


def test_no_browser_workflow_no_rows() -> None:
    trace = Trace()
    trace.query(trace.request(), PRODUCTS, start=1, duration=2)
    assert run(frontend_layers.analyze, [trace]).sections[0].rows == ()
