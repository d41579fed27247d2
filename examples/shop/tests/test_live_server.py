"""The same assertions over real HTTP: pytest-django's live_server runs the shop in a thread
of the test process, so its spans land in the same capture."""

from __future__ import annotations

import json
import urllib.request

from pytest_django.live_server_helper import LiveServer
from shop.models import Product

from e2e_otel.testing import CapturedTraces


def test_product_fetch_over_http(
    live_server: LiveServer,
    transactional_db: None,
    products: list[Product],
    e2e_trace: CapturedTraces,
) -> None:
    request = urllib.request.Request(
        f"{live_server.url}/api/products/{products[0].pk}/",
        headers={"X-Correlation-ID": "live-server-test-1"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.load(response)["sku"] == products[0].sku
        assert response.headers["X-Correlation-ID"] == "live-server-test-1"
    fetch = e2e_trace.correlation_id("live-server-test-1")
    # The server thread opens its own connection: its two setup statements count too.
    fetch.assert_complete(layers={"api", "database"}).assert_no_errors().assert_max_queries(3)
    assert {s.attr("e2e.workflow.type") for s in fetch.spans} == {"product_fetch"}
