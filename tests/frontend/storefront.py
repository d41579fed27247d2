"""The demo storefront (examples/shop-web) under `next start`, and Debian's Chromium for
Playwright: what the browser end-to-end test needs, each failing with its install command."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from e2e_otel.sources.otlp_files import read_spans
from tests.integration.services import ROOT, free_port
from tests.stack.conftest import eventually

if TYPE_CHECKING:  # imported at run time only after require_browser() said it is there
    from playwright.sync_api import Page

STOREFRONT = ROOT / "examples" / "shop-web"
NEXT_BIN = STOREFRONT / "node_modules" / "next" / "dist" / "bin" / "next"
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
# As the browser package's own tests start it: no sandbox (root), and no background traffic
# to Google's hosts, which this closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WEB = "shop-web"  # the storefront's service.name
BUILD_HINT = (
    "run scripts/test.sh, or build it alone: bash -c '. scripts/lib.sh && build_storefront'"
)


def require_browser() -> None:
    """Playwright for Python and Debian's Chromium (Playwright's own download is never used)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("playwright is missing: pip install -e '.[test]'", pytrace=False)
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium", pytrace=False)


def require_storefront_build() -> None:
    if shutil.which("node") is None:
        pytest.fail("node not found: apt-get install -y nodejs npm (Node >= 20)", pytrace=False)
    if not NEXT_BIN.exists() or not (STOREFRONT / ".next" / "BUILD_ID").exists():
        pytest.fail(f"the storefront is not built: {BUILD_HINT}", pytrace=False)


@dataclass
class Storefront:
    """`next start` of the built storefront on a free loopback port; the shop API and the
    collector URLs are read by the server at run time (SHOP_API_URL, OTEL_COLLECTOR_URL)."""

    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, api_url: str, collector_url: str) -> None:
        require_storefront_build()
        env = {
            **os.environ,
            "SHOP_API_URL": api_url,
            "OTEL_COLLECTOR_URL": collector_url,
            # The Next.js server's spans (instrumentation.ts, @vercel/otel): same collector,
            # exported every 500 ms rather than every 5 s.
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector_url,
            "OTEL_BSP_SCHEDULE_DELAY": "500",
            "NEXT_TELEMETRY_DISABLED": "1",
        }
        command = ["node", str(NEXT_BIN), "start", "-H", "127.0.0.1", "-p", str(self.port)]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=STOREFRONT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"next start exited early:\n{self.tail()}", pytrace=False)
            try:
                urllib.request.urlopen(f"{self.origin}/login", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        pytest.fail(f"next start did not answer within 60 s:\n{self.tail()}", pytrace=False)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def click_through(page: Page, origin: str) -> dict[str, str]:
    """Every workflow and every planted problem, by clicking; returns the correlation ids shown."""
    from playwright.sync_api import expect

    status = page.get_by_test_id("status")
    shown = page.get_by_test_id("correlation-id")
    nav = page.locator("nav")
    page.goto(f"{origin}/login")
    page.get_by_role("button", name="Log in").click()
    expect(status).to_contain_text(re.compile(r"\d+ products"))
    page.get_by_test_id("product-link").first.click()
    expect(status).to_have_text(re.compile("^product loaded"))
    ids = {"product_fetch": shown.inner_text()}
    page.get_by_role("button", name="Check stock").click()  # via the Next.js server
    expect(status).to_contain_text("stock checked on the server")
    ids["stock_check"] = shown.inner_text()
    page.get_by_role("button", name="Add to cart").click()
    expect(status).to_contain_text("added to cart")
    ids["cart_update"] = shown.inner_text()
    nav.get_by_role("link", name="Cart").click()
    expect(status).to_contain_text("items")
    page.get_by_role("button", name="+1").first.click()
    expect(status).to_contain_text("cart updated")
    nav.get_by_role("link", name="Checkout").click()
    page.get_by_role("button", name="Place order").click()
    expect(status).to_have_text(re.compile(r"^order \d+ placed"))
    ids["checkout"] = shown.inner_text()
    nav.get_by_role("link", name="Heavy grid").click()
    expect(status).to_contain_text("cells rendered")
    nav.get_by_role("link", name="Problems").click()
    for button, outcome in [
        ("Export page views", "export failed: SyntaxError"),
        ("Slow report", "slow report failed: TimeoutError"),
        ("Expire my session", "now expired"),
        ("My orders", "orders failed: HTTP 401"),
    ]:
        page.get_by_role("button", name=re.compile(button)).click()
        expect(status).to_contain_text(outcome)
    return ids


def click_again(page: Page) -> None:
    """A second product list and heavy grid, after the first ones reached Prometheus."""
    from playwright.sync_api import expect

    status = page.get_by_test_id("status")
    page.locator("nav").get_by_role("link", name="Products").click()
    expect(status).to_contain_text(re.compile(r"\d+ products"))
    page.locator("nav").get_by_role("link", name="Heavy grid").click()
    expect(status).to_contain_text("cells rendered")


def flush_until(page: Page, traces: Path, url_part: str, count: int = 1) -> None:
    """Flush the page's spans until ``count`` requests to ``url_part`` are in the collector's file.

    The fetch instrumentation ends a cross-origin request's span only once the browser's
    resource timing is in (up to ~300 ms after the answer), so one flush may come too early.
    """

    def exported() -> bool:
        page.evaluate("() => window.__e2eWeb.forceFlush()")
        found = [
            s
            for s in read_spans([traces])
            if s.service_name == WEB and s.kind == "client" and url_part in str(s.attr("url.full"))
        ]
        return len(found) >= count

    eventually(exported, f"{count} storefront request(s) to {url_part} in the collector's file", 30)
