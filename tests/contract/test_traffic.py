"""Discovered shop endpoints joined with traffic: OTLP files written by the real SDK with our
processors and the OTLP JSON file exporter, and Prometheus span metrics over httpx's
MockTransport (the response shape of /api/v1/query)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.json.file.trace_exporter import FileSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind

from e2e_otel import metrics as m
from e2e_otel.config import Config
from e2e_otel.contract.build import build_map
from e2e_otel.contract.models import ContractMap, TrafficRoute
from e2e_otel.contract.report import to_markdown
from e2e_otel.contract.traffic import (
    TrafficError,
    merge_traffic,
    traffic_from_files,
    traffic_from_prometheus,
)
from e2e_otel.discovery.django_models import DjangoDiscovery
from e2e_otel.discovery.nextjs_models import NextjsApp
from e2e_otel.setup import export_processor, start_processors
from e2e_otel.sources.http import JsonClient
from e2e_otel.sources.prometheus import METHOD, PrometheusClient, instant_queries

MS = 1_000_000
NOW = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)

# (method, http.route or None, requests) served by the shop's Django process.
SHOP_REQUESTS = (
    ("GET", "api/products/", 3),
    ("GET", "api/products/<int:pk>/", 2),
    ("HEAD", "api/orders/", 1),
    ("POST", "api/cart/items/", 1),
    ("GET", "api/legacy/export/", 2),  # a route the shop's urls.py does not declare
    ("GET", None, 1),  # no pattern matched (a 404): Django sets no http.route
)


def write_requests(
    path: Path,
    service: str,
    requests: tuple[tuple[str, str | None, int], ...],
    layer: str | None = None,
) -> Path:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    for processor in start_processors():
        provider.add_span_processor(processor)
    provider.add_span_processor(export_processor(FileSpanExporter(path), Config(), batch=False))
    tracer = provider.get_tracer("opentelemetry.instrumentation.django")
    start = 1_700_000_000_000 * MS
    for method, route, count in requests:
        for _ in range(count):
            name = f"{method} {route}" if route else method
            span = tracer.start_span(name, kind=SpanKind.SERVER, start_time=start)
            span.set_attribute("http.request.method", method)
            if route:
                span.set_attribute("http.route", route)
            if layer:
                span.set_attribute("e2e.layer", layer)
            span.end(end_time=start + 5 * MS)
            start += 10 * MS
    provider.shutdown()
    return path


@pytest.fixture
def trace_files(tmp_path: Path) -> list[Path]:
    return [
        write_requests(tmp_path / "api.jsonl", "shop-api", SHOP_REQUESTS),
        # A Next.js route handler's server span: frontend, not the Django API.
        write_requests(
            tmp_path / "web.jsonl", "shop-web", (("GET", "/api/bff/cart", 4),), "frontend"
        ),
        write_requests(tmp_path / "billing.jsonl", "billing", (("GET", "api/invoices/", 1),)),
    ]


def joined(app: NextjsApp, discovery: DjangoDiscovery, files: list[Path], **kw: Any) -> ContractMap:
    return build_map(app, discovery, traffic=traffic_from_files(files, **kw))


def test_unseen_endpoints_and_undiscovered_routes(
    trace_files: list[Path], shop_frontend: NextjsApp, shop_django: DjangoDiscovery
) -> None:
    join = joined(shop_frontend, shop_django, trace_files).traffic
    assert join is not None
    assert join.traffic.unrouted == 1
    assert join.undiscovered == (
        TrafficRoute("billing", "GET", "api/invoices/", 1),
        TrafficRoute("shop-api", "GET", "api/legacy/export/", 2),
    )
    unseen = {e.template: e.methods for e in join.unseen}
    for hit in ("api/products/", "api/products/{pk}/", "api/orders/", "api/cart/items/"):
        assert hit not in unseen  # HEAD on api/orders/ counts for its GET
    assert unseen["api/admin/stats/"] == ("GET",)
    assert unseen["api/checkout/"] == ("POST",)
    assert unseen["api/cart/items/{pk}/"] == ("PATCH",)
    assert len(unseen) == len(shop_django.endpoints) - 4


def test_services_filter_keeps_only_the_named_service(
    trace_files: list[Path], shop_frontend: NextjsApp, shop_django: DjangoDiscovery
) -> None:
    join = joined(shop_frontend, shop_django, trace_files, services=("shop-api",)).traffic
    assert join is not None
    assert [r.route for r in join.undiscovered] == ["api/legacy/export/"]
    assert {r.service for r in join.traffic.routes} == {"shop-api"}


def test_markdown_lists_the_traffic_join(
    trace_files: list[Path], shop_frontend: NextjsApp, shop_django: DjangoDiscovery
) -> None:
    text = to_markdown(joined(shop_frontend, shop_django, trace_files))
    assert "| GET | `api/legacy/export/` | shop-api | 2 |" in text
    assert "| GET | `api/admin/stats/` | `shop.views.orders.AdminStatsView` |" in text
    assert "1 without a route" in text


def test_a_missing_traces_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TrafficError, match="no such traces file"):
        traffic_from_files([tmp_path / "nope.jsonl"])


def _sample(
    route: str | None, method: str, value: str, service: str = "shop-api"
) -> dict[str, Any]:
    labels = {
        m.SERVICE: service,
        METHOD: method,
        m.SPAN_NAME: f"{method} {route}" if route else method,
    }
    if route is not None:
        labels[m.HTTP_ROUTE] = route
    return {"metric": labels, "value": [NOW.timestamp(), value]}


def test_prometheus_traffic_from_one_span_metrics_query(
    shop_frontend: NextjsApp, shop_django: DjangoDiscovery
) -> None:
    queries: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        queries.append(request.url.params["query"])
        result = [
            # The same route twice (two status codes): added up.
            _sample("api/products/<int:pk>/", "GET", "4"),
            _sample("api/products/<int:pk>/", "GET", "1.2"),
            _sample("api/checkout/", "POST", "0"),  # no growth in the window: not seen
            _sample("api/old/", "GET", "3"),
            _sample(None, "GET", "2"),
            _sample("api/orders/", "GET", "NaN"),
        ]
        body = {"status": "success", "data": {"resultType": "vector", "result": result}}
        return httpx.Response(200, json=body)

    client = PrometheusClient(
        JsonClient("prometheus", "http://prom:9090", transport=httpx.MockTransport(handler))
    )
    window = timedelta(hours=1)
    traffic = traffic_from_prometheus(client, window=window, now=NOW)
    assert queries == [instant_queries(window)["endpoint_calls"]]
    assert traffic.routes == (
        TrafficRoute("shop-api", "GET", "api/old/", 3),
        TrafficRoute("shop-api", "GET", "api/products/<int:pk>/", 5),
    )
    assert traffic.unrouted == 2
    join = build_map(shop_frontend, shop_django, traffic=traffic).traffic
    assert join is not None
    assert [r.route for r in join.undiscovered] == ["api/old/"]
    unseen = {e.template for e in join.unseen}
    assert "api/products/{pk}/" not in unseen
    assert {"api/checkout/", "api/orders/"} <= unseen


def test_traffic_of_several_sources_adds_up(trace_files: list[Path]) -> None:
    files = traffic_from_files(trace_files[:1])
    merged = merge_traffic([files, files])
    assert merged.unrouted == 2 and len(merged.sources) == 2
    products = [r for r in merged.routes if r.route == "api/products/"]
    assert products == [TrafficRoute("shop-api", "GET", "api/products/", 6)]
