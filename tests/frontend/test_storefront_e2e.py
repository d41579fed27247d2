"""One real browser from the click to the SQL: Debian's Chromium (Playwright) clicks through the
demo storefront (examples/shop-web, `next start`), which calls the demo shop (Django under
opentelemetry-instrument, on MariaDB) cross-origin; both export OTLP to the project's collector
(native harness, file exporter + Prometheus). Everything is asserted on what the collector
wrote and on that Prometheus."""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from e2e_otel.cli.main import main
from e2e_otel.metrics import SPAN_CALLS
from e2e_otel.sources.models import SpanRecord
from e2e_otel.sources.otlp_files import read_spans
from e2e_otel.stack.dashboards import dashboard_queries
from e2e_otel.stack.native import NativeStack, find_collector, find_prometheus
from e2e_otel.stack.rules import latency_record
from tests.frontend.storefront import (
    CHROMIUM,
    CHROMIUM_ARGS,
    WEB,
    Storefront,
    click_again,
    click_through,
    flush_until,
    require_browser,
)
from tests.integration.services import MariaDB, ShopServer
from tests.stack.conftest import Prometheus, eventually, required
from tests.stack.test_queries import expand

if TYPE_CHECKING:  # imported at run time only after require_browser() said it is there
    from playwright.sync_api import Response

pytestmark = pytest.mark.integration

API = "shop-api"
WEB_SERVER = "shop-web-server"  # the Next.js server: instrumentation.ts, @vercel/otel
# The request that carries each workflow's click to the API, as "METHOD path-regex".
WORKFLOW_REQUESTS = {
    "login": r"POST /api/auth/token/",
    "product_fetch": r"GET /api/products/\d+/",
    "cart_update": r"POST /api/cart/items/",
    "checkout": r"POST /api/checkout/",
}
LAYER_ORDER = {"frontend": 0, "api": 1, "database": 2}
VITALS = {"LCP", "CLS", "FCP", "TTFB"}  # LCP and CLS are only reported when the page is hidden


@dataclass
class BrowserRun:
    spans: list[SpanRecord]
    answered: dict[str, list[str | None]]  # "POST /api/checkout/" -> X-Correlation-ID answered
    shown: dict[str, str]  # workflow -> the correlation id the page displayed
    prometheus: Prometheus
    traces_file: Path  # the collector's file exporter output

    def answer(self, workflow: str) -> str:
        pattern = re.compile(WORKFLOW_REQUESTS[workflow])
        (ids,) = [ids for request, ids in self.answered.items() if pattern.fullmatch(request)]
        (correlation_id,) = ids  # each of these requests is made exactly once
        assert correlation_id, f"{workflow}: no X-Correlation-ID answered"
        return correlation_id

    def trace(self, trace_id: str) -> list[SpanRecord]:
        return [s for s in self.spans if s.trace_id == trace_id]

    def web_requests(self, url_part: str) -> list[SpanRecord]:
        return [
            s
            for s in self.spans
            if s.service_name == WEB and s.kind == "client" and url_part in str(s.attr("url.full"))
        ]


def complete(path: Path, answered: dict[str, list[str | None]]) -> list[SpanRecord] | None:
    """The collector's spans once the vitals and the SQL of the checkout have arrived."""
    if not path.exists():
        return None
    spans = list(read_spans([path]))
    vitals = {s.attr("browser.web_vital.name") for s in spans}
    checkout = next(iter(answered.get("POST /api/checkout/", [])), None)
    sql = any(
        s.attr("e2e.layer") == "database" and s.attr("e2e.workflow.id") == checkout for s in spans
    )
    # The 401 is held back until its body was read (the category comes from it): last to come.
    expired = any(
        s.service_name == WEB and "/api/orders/" in str(s.attr("url.full")) for s in spans
    )
    return spans if vitals >= VITALS and sql and expired else None


@pytest.fixture(scope="module")
def browser_run(shop_db: MariaDB, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserRun]:
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    work = tmp_path_factory.mktemp("storefront")
    storefront = Storefront(work / "next.log")
    stack = NativeStack(
        work / "stack",
        collector_bin=required(find_collector),
        prometheus_bin=required(find_prometheus),
    )
    with pytest.MonkeyPatch.context() as env:  # the collector reads it when it starts
        env.setenv("E2E_OTELCOL_CORS_ALLOWED_ORIGINS", f"[{storefront.origin}]")
        required(stack.start)
    shop = ShopServer(
        shop_db,
        mode="instrument",
        traces=work / "shop-sdk.jsonl",
        extra_env={
            "OTEL_SERVICE_NAME": API,
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": stack.otlp_http_endpoint,
            "SHOP_CORS_ORIGINS": storefront.origin,
        },
    )
    answered: dict[str, list[str | None]] = {}

    def record(response: Response) -> None:
        method = response.request.method
        if "/api/" in response.url and method != "OPTIONS":
            key = f"{method} {urlsplit(response.url).path}"
            answered.setdefault(key, []).append(response.headers.get("x-correlation-id"))

    try:
        shop.start()
        storefront.start(shop.base_url, stack.otlp_http_endpoint)
        expect.set_options(timeout=20_000)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            try:
                page = browser.new_page()
                page.on("response", record)
                shown = click_through(page, storefront.origin)
                flush_until(page, stack.traces_file, "/api/orders/")
                # Span metrics count from a series' first sample: rates need more spans after
                # it, so once Prometheus has the browser's series, click once more.
                prometheus = Prometheus(stack.prometheus_url)
                eventually(
                    lambda: prometheus.query(f'{SPAN_CALLS}{{service_name="{WEB}"}}'),
                    "the storefront's span metrics in Prometheus",
                    60,
                )
                click_again(page)
                flush_until(page, stack.traces_file, "/api/products/?page=1", count=4)
                page.goto("about:blank")  # hides the page: LCP, CLS (and INP) are final now
                spans = eventually(
                    lambda: complete(stack.traces_file, answered),
                    "the browser's and the shop's spans in the collector's file",
                    60,
                )
            finally:
                browser.close()
        yield BrowserRun(spans, answered, shown, prometheus, stack.traces_file)
    finally:
        storefront.stop()
        shop.stop()
        stack.stop()


def parents(span: SpanRecord, trace: list[SpanRecord]) -> list[SpanRecord]:
    """``span`` and its ancestors, root first; fails on a broken parent chain."""
    by_id = {s.span_id: s for s in trace}
    chain = [span]
    while chain[0].parent_span_id:
        parent = by_id.get(chain[0].parent_span_id)
        assert parent is not None, f"{chain[0].name}: parent {chain[0].parent_span_id} missing"
        chain.insert(0, parent)
    return chain


@pytest.mark.parametrize("workflow", sorted(WORKFLOW_REQUESTS))
def test_one_trace_from_the_click_to_the_sql(workflow: str, browser_run: BrowserRun) -> None:
    correlation_id = browser_run.answer(workflow)
    if workflow in browser_run.shown:  # read through CORS_EXPOSE_HEADERS by the page itself
        assert browser_run.shown[workflow] == correlation_id
    tagged = [s for s in browser_run.spans if s.attr("e2e.workflow.id") == correlation_id]
    (trace_id,) = {s.trace_id for s in tagged}
    trace = browser_run.trace(trace_id)
    assert trace == tagged, "every span of the trace carries the workflow id the API answered"
    assert {s.attr("e2e.workflow.type") for s in trace} == {workflow}
    (root,) = [s for s in trace if s.parent_span_id is None]
    assert (root.service_name, root.name, root.attr("e2e.layer")) == (
        WEB,
        f"workflow {workflow}",
        "frontend",
    )
    queries = [s for s in trace if s.attr("e2e.layer") == "database"]
    assert queries, f"{workflow}: no SQL in the trace"
    for query in queries:
        chain = parents(query, trace)
        layers = [str(s.attr("e2e.layer")) for s in chain if s.attr("e2e.layer") in LAYER_ORDER]
        assert set(layers) == set(LAYER_ORDER), [(s.name, s.attr("e2e.layer")) for s in chain]
        assert layers == sorted(layers, key=LAYER_ORDER.__getitem__), layers
        (server,) = [s for s in chain if s.kind == "server"]
        by_id = {s.span_id: s for s in chain}
        browser_fetch = by_id[str(server.parent_span_id)]
        assert (server.service_name, server.attr("e2e.layer")) == (API, "api")
        assert (browser_fetch.service_name, browser_fetch.kind) == (WEB, "client")


def test_one_trace_through_the_nextjs_server(browser_run: BrowserRun) -> None:
    """Check stock: browser click -> browser fetch -> Next.js server spans (route handler,
    @vercel/otel's fetch) -> Django -> SQL, one trace, one workflow id, layers in order."""
    correlation_id = browser_run.shown["stock_check"]
    (ids,) = [v for k, v in browser_run.answered.items() if re.fullmatch(r"GET /api/stock/\d+", k)]
    assert ids == [correlation_id], (
        "the route handler passes on the X-Correlation-ID Django answered"
    )

    def whole_trace() -> list[SpanRecord] | None:
        spans = [
            s
            for s in read_spans([browser_run.traces_file])
            if s.attr("e2e.workflow.id") == correlation_id
        ]
        services = {s.service_name for s in spans}
        has_sql = any(s.attr("e2e.layer") == "database" for s in spans)
        return spans if {WEB, WEB_SERVER, API} <= services and has_sql else None

    tagged = eventually(whole_trace, "the stock check's trace in the collector's file", 30)
    (trace_id,) = {s.trace_id for s in tagged}
    trace = [s for s in read_spans([browser_run.traces_file]) if s.trace_id == trace_id]
    assert sorted(s.span_id for s in trace) == sorted(s.span_id for s in tagged), [
        (s.service_name, s.name) for s in trace if s.attr("e2e.workflow.id") != correlation_id
    ]
    assert {s.attr("e2e.workflow.type") for s in trace} == {"stock_check"}
    server_side = [s for s in trace if s.service_name == WEB_SERVER]
    assert {s.attr("e2e.layer") for s in server_side} == {"frontend"}
    # The duplicate-span switch: @vercel/otel's fetch span only (Next's own is turned off).
    (outgoing,) = [s for s in server_side if s.kind == "client"]
    queries = [s for s in trace if s.attr("e2e.layer") == "database"]
    assert queries
    for query in queries:
        chain = parents(query, trace)
        services = [s.service_name for s in chain]
        assert services == sorted(services, key=[WEB, WEB_SERVER, API].index), services
        layers = [str(s.attr("e2e.layer")) for s in chain if s.attr("e2e.layer") in LAYER_ORDER]
        assert layers == sorted(layers, key=LAYER_ORDER.__getitem__), layers
        (root, browser_fetch) = [s for s in chain if s.service_name == WEB]
        assert (root.name, browser_fetch.kind) == ("workflow stock_check", "client")
        next_spans = [s for s in chain if s.service_name == WEB_SERVER]
        assert (
            next_spans[0].kind == "server" and next_spans[0].parent_span_id == browser_fetch.span_id
        )
        assert next_spans[-1] is outgoing
        django = chain[chain.index(outgoing) + 1]  # the span the fetch called
        assert (django.service_name, django.kind, django.attr("e2e.layer")) == (
            API,
            "server",
            "api",
        )


def test_the_product_page_makes_a_request_waterfall(browser_run: BrowserRun) -> None:
    correlation_id = browser_run.answer("product_fetch")
    fetches = sorted(
        (
            s
            for s in browser_run.spans
            if s.attr("e2e.workflow.id") == correlation_id
            and s.service_name == WEB
            and s.kind == "client"
        ),
        key=lambda s: s.start_ns,
    )
    paths = [urlsplit(str(s.attr("url.full"))).path for s in fetches]
    assert len(paths) == 3 and paths[1:] == ["/api/products/with-reviews/", "/api/products/"]
    for before, after in itertools.pairwise(fetches):
        assert after.start_ns >= before.end_ns, "each request waits for the previous one"


@pytest.mark.parametrize(
    ("url_part", "category"),
    [
        ("export=csv", "response_parse"),
        ("delay=", "network_timeout"),
        ("/api/orders/", "auth_token_expired"),
    ],
)
def test_each_planted_problem_has_its_category(
    url_part: str, category: str, browser_run: BrowserRun
) -> None:
    (request,) = browser_run.web_requests(url_part)
    assert (request.status, request.attr("e2e.error.category")) == ("error", category)
    if category == "auth_token_expired":  # simplejwt's answer, in the same trace
        (server,) = [
            s for s in browser_run.trace(request.trace_id) if s.parent_span_id == request.span_id
        ]
        status = server.attr("http.response.status_code") or server.attr("http.status_code")
        assert (server.service_name, status) == (API, 401)


def test_the_heavy_grid_render_is_flagged_slow(browser_run: BrowserRun) -> None:
    renders = [s for s in browser_run.spans if s.name == "render ProductGrid"]
    slow = [s for s in renders if s.attr("e2e.render.slow") is True]
    assert slow and all(s.duration_ms > 100 for s in slow)
    assert {s.attr("e2e.layer") for s in renders} == {"frontend"}


def test_web_vitals_arrive_after_navigating_away(browser_run: BrowserRun) -> None:
    vitals = [s for s in browser_run.spans if s.attr("browser.web_vital.name")]
    assert {s.attr("browser.web_vital.name") for s in vitals} >= VITALS
    assert {s.service_name for s in vitals} == {WEB}


def test_the_frontend_rule_and_panels_return_data(browser_run: BrowserRun) -> None:
    prometheus = browser_run.prometheus
    record = f'{latency_record("frontend")}{{service_name="{WEB}"}}'

    def finite(promql: str) -> list[float] | None:
        values = [float(r["value"][1]) for r in prometheus.query(promql)]
        return [v for v in values if math.isfinite(v)] or None

    eventually(lambda: finite(record), f"the recording rule {record}", 90)
    panels = [q for q in dashboard_queries() if 'e2e_layer="frontend"' in q.expr]
    assert panels
    for panel in panels:
        expr = expand(panel.expr)

        def probe(expr: str = expr) -> list[float] | None:
            return finite(expr)

        eventually(probe, f"{panel.dashboard} / {panel.panel}: {expr}", 60)


def test_the_analyzer_names_the_planted_frontend_problems(
    browser_run: BrowserRun, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    markdown = tmp_path / "report.md"
    args = [str(browser_run.traces_file), "--json", str(report), "--markdown", str(markdown)]
    assert main(["analyze", *args]) == 0
    found = json.loads(report.read_text())["recommendations"]
    by_rule: dict[str, list[dict[str, object]]] = {}
    for rec in found:
        by_rule.setdefault(str(rec["rule"]), []).append(rec)
    (render,) = [r for r in by_rule["slow_render"] if "ProductGrid" in str(r["title"])]
    assert render["category"] == "frontend"
    waterfall = "GET /api/products/{id}/`, then `GET /api/products/with-reviews/`, then "
    (chain,) = [r for r in by_rule["fetch_waterfall"] if waterfall in str(r["description"])]
    assert chain["title"] == "3 browser requests in workflow product_fetch wait for each other"
    categories = {str(r["title"]).split(" ")[0]: r["category"] for r in by_rule["error_hotspot"]}
    for category in ("network_timeout", "response_parse", "auth_token_expired"):
        assert categories.get(category) == "frontend", (category, categories)
    text = markdown.read_text()
    for name in ("ProductGrid", "product_fetch", "Workflow time by layer", "Web vitals by page"):
        assert name in text, name
