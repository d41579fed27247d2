"""One trace from a click in a real browser to the SQL it caused, asserted in one test.

Debian's Chromium (Playwright) clicks through the demo storefront (examples/shop-web under
`next start`), which calls the shop cross-origin: the shop runs in pytest-django's live_server,
in this process, so its spans are captured as in the other tests; the page (and the Next.js
server) export theirs to the e2e_otlp_receiver fixture, so they join the same e2e_trace."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from pytest_django.live_server_helper import LiveServer
from shop.models import Product
from storefront import CHROMIUM, CHROMIUM_ARGS, Storefront, require_browser

from e2e_otel.testing import CapturedTraces, OtlpReceiver

LAYERS = {"frontend", "api", "database"}


@pytest.fixture(scope="module")
def storefront(
    live_server: LiveServer,
    e2e_otlp_receiver: OtlpReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Storefront]:
    """The built storefront, calling the live_server shop and exporting to the receiver."""
    require_browser()
    storefront = Storefront(tmp_path_factory.mktemp("storefront") / "next.log")
    allowed = settings.CORS_ALLOWED_ORIGINS
    settings.CORS_ALLOWED_ORIGINS = [*allowed, storefront.origin]  # conftest added the middleware
    try:
        storefront.start(live_server.url, e2e_otlp_receiver.url)
        yield storefront
    finally:
        storefront.stop()
        settings.CORS_ALLOWED_ORIGINS = allowed


def test_one_trace_from_the_click_to_the_sql(
    storefront: Storefront,
    transactional_db: None,
    alice: object,
    catalog: list[Product],
    e2e_trace: CapturedTraces,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page()
            status = page.get_by_test_id("status")
            page.goto(f"{storefront.origin}/login")  # alice's name and password are filled in
            page.get_by_role("button", name="Log in").click()
            expect(status).to_contain_text(re.compile(r"\d+ products"))
            page.get_by_test_id("product-link").first.click()
            expect(status).to_have_text(re.compile("^product loaded"))
            page.get_by_role("button", name="Add to cart").click()
            expect(status).to_contain_text("added to cart")
            correlation_id = page.get_by_test_id("correlation-id").inner_text()
            cart = e2e_trace.wait_for(
                correlation_id=correlation_id,
                layers=LAYERS,
                flush=lambda: page.evaluate("() => window.__e2eWeb.forceFlush()"),
            )
        finally:
            browser.close()

    cart.assert_complete(layers=LAYERS).assert_no_errors().assert_no_n_plus_one()
    # One trace: the click's workflow span is its root, the SQL its deepest spans.
    assert len(cart.trace_ids) == 1
    (root,) = [s for s in cart.spans if s.parent_span_id is None]
    assert (root.name, root.attr("e2e.layer")) == ("workflow cart_update", "frontend")
    assert {s.attr("e2e.workflow.type") for s in cart.spans} == {"cart_update"}
    (server,) = [s for s in cart.layer("api") if s.kind == "server"]
    assert server.name == "POST api/cart/items/"
    by_id = {s.span_id: s for s in cart.spans}
    caller = by_id[str(server.parent_span_id)]  # the page's fetch, exported by the browser
    assert (caller.kind, caller.attr("e2e.layer")) == ("client", "frontend")
    assert any(q.name == "INSERT" for q in cart.queries)
