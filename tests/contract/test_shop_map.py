"""The contract map of the nextjs-shop fixture against the real demo shop: every problem
PLANTED.md lists is reported as it says, and nothing else is flagged."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from e2e_otel.contract.build import build_map
from e2e_otel.contract.models import CallMatch, ContractMap, EndpointMethods, ParamBinding
from e2e_otel.contract.report import to_json, to_markdown
from e2e_otel.discovery.django_models import DjangoDiscovery
from e2e_otel.discovery.nextjs import scan
from e2e_otel.discovery.nextjs_models import NextjsApp
from tests.contract.conftest import FRONTEND

REGISTER = "src/app/(auth)/register/page.tsx:11"
ADMIN_CREATE = "src/app/admin/page.tsx:13"
ADMIN_STATS = "src/app/admin/@stats/page.tsx:10"
ORDERS = "src/app/account/orders/page.tsx:12"
PRODUCT = "src/app/(shop)/products/[id]/page.tsx:8"
CART_ITEM = "src/app/(shop)/cart/page.tsx:16"
CART_ADD_NO_SLASH = "src/app/(shop)/cart/page.tsx:20"
WITH_REVIEWS = "src/app/(shop)/products/with-reviews/page.tsx:13"
HELP = "src/pages/help/[[...topic]].js:11"


@pytest.fixture(scope="module")
def contract(shop_frontend: NextjsApp, shop_django: DjangoDiscovery) -> ContractMap:
    return build_map(shop_frontend, shop_django)


def at(contract: ContractMap, location: str) -> CallMatch:
    found = [m for m in contract.calls if m.call.location == location]
    assert len(found) == 1, [m.call.location for m in contract.calls]
    return found[0]


def test_exactly_the_planted_calls_are_flagged(contract: ContractMap) -> None:
    flagged = {m.call.location: m.verdict for m in contract.calls if m.verdict != "ok"}
    assert flagged == {
        REGISTER: "not_found",
        ADMIN_CREATE: "method_not_allowed",
        ADMIN_STATS: "missing_credentials",
        CART_ADD_NO_SLASH: "missing_trailing_slash",
        HELP: "unresolved",
    }
    assert len(contract.calls) == 29


def test_404_has_no_endpoint(contract: ContractMap) -> None:
    match = at(contract, REGISTER)
    assert (match.target, match.path, match.endpoint) == ("django", "/api/auth/register/", None)


def test_405_names_the_endpoint_and_what_it_allows(contract: ContractMap) -> None:
    match = at(contract, ADMIN_CREATE)
    assert match.endpoint is not None
    assert match.endpoint.view == "shop.views.catalog.ProductListView"
    assert "GET, HEAD, OPTIONS" in " ".join(match.notes)


def test_missing_credentials_on_the_admin_endpoint(contract: ContractMap) -> None:
    match = at(contract, ADMIN_STATS)
    assert match.endpoint is not None and match.endpoint.template == "api/admin/stats/"
    assert "IsAdminUser" in " ".join(match.notes)


def test_missing_trailing_slash_matches_the_orders_route(contract: ContractMap) -> None:
    match = at(contract, ORDERS)
    assert match.verdict == "ok" and match.path == "/api/orders"
    assert match.endpoint is not None
    assert match.endpoint.view == "shop.views.orders.OrderListView"
    assert "trailing slash" in " ".join(match.notes)


def test_a_post_without_the_trailing_slash_fails(contract: ContractMap) -> None:
    match = at(contract, CART_ADD_NO_SLASH)
    assert (match.verdict, match.path) == ("missing_trailing_slash", "/api/cart/items")
    assert match.endpoint is not None
    assert match.endpoint.view == "shop.views.cart.CartItemsView"
    assert "cannot redirect a POST to /api/cart/items/" in " ".join(match.notes)


def test_path_parameters_are_bound_to_the_converters(contract: ContractMap) -> None:
    product = at(contract, PRODUCT)
    assert product.endpoint is not None and product.endpoint.route == "api/products/<int:pk>/"
    assert product.parameters == (ParamBinding("params.id", "pk", "int"),)
    item = at(contract, CART_ITEM)
    assert item.verdict == "ok" and item.call.method == "PATCH"
    assert item.endpoint is not None
    assert item.endpoint.view == "shop.views.cart.CartItemDetailView"
    assert item.parameters == (ParamBinding("itemId", "pk", "int"),)


def test_with_reviews_resolves_to_the_literal_route(contract: ContractMap) -> None:
    match = at(contract, WITH_REVIEWS)
    assert match.endpoint is not None
    assert match.endpoint.route == "api/products/with-reviews/"
    assert match.parameters == ()


def test_run_time_url_is_unresolved_not_404(contract: ContractMap) -> None:
    match = at(contract, HELP)
    assert (match.target, match.path, match.endpoint) == ("unknown", None, None)
    assert "statusUrl(topic)" in " ".join(match.notes)


def test_calls_from_nextjs_route_handlers_are_ordinary_django_calls(
    contract: ContractMap,
) -> None:
    for location in ("src/app/api/bff/cart/route.ts:16", "src/pages/api/products/[id].ts:9"):
        match = at(contract, location)
        assert (match.verdict, match.target) == ("ok", "django")


def test_relative_calls_to_nextjs_api_routes_are_internal(
    tmp_path: Path, shop_django: DjangoDiscovery
) -> None:
    app_dir = shutil.copytree(FRONTEND, tmp_path / "app")
    (app_dir / "src" / "components" / "Internal.tsx").write_text(
        "export async function internal(id: string) {\n"
        '  await fetch("/api/bff/cart", { method: "POST" });\n'
        "  await fetch(`/api/products/${id}`);\n"
        '  await fetch("/api/health", { method: "DELETE" });\n'
        '  await fetch("/api/orders/");\n'
        "}\n",
        encoding="utf-8",
    )
    contract = build_map(scan(app_dir), shop_django)
    internal = {
        m.call.line: m for m in contract.calls if m.call.file == "src/components/Internal.tsx"
    }
    bff, product, health, orders = (internal[line] for line in (2, 3, 4, 5))
    assert (bff.verdict, bff.target, bff.endpoint) == ("ok", "nextjs", None)
    assert bff.nextjs_route is not None and bff.nextjs_route.path == "/api/bff/cart"
    # Django has api/products/<int:pk>/ too, but a relative URL goes to the Next.js app first.
    assert product.target == "nextjs" and product.endpoint is None
    assert product.nextjs_route is not None
    assert product.nextjs_route.file == "src/pages/api/products/[id].ts"
    assert (health.verdict, health.target) == ("method_not_allowed", "nextjs")
    # No Next.js route: the app's rewrites send it to Django, with same-origin cookies.
    assert (orders.verdict, orders.target) == ("ok", "django")
    assert orders.endpoint is not None and orders.endpoint.template == "api/orders/"


def test_every_shop_endpoint_is_called(contract: ContractMap) -> None:
    assert contract.uncalled == ()


def test_endpoints_only_the_admin_pages_call(
    shop_frontend: NextjsApp, shop_django: DjangoDiscovery
) -> None:
    without_admin = dataclasses.replace(
        shop_frontend,
        calls=tuple(c for c in shop_frontend.calls if not c.file.startswith("src/app/admin/")),
    )
    contract = build_map(without_admin, shop_django)
    assert contract.uncalled == (
        EndpointMethods(
            "api/reports/pageviews/",
            "api/reports/pageviews/",
            "shop.views.problems.PageViewReportView",
            ("GET",),
        ),
        EndpointMethods(
            "api/products/duplicate-sku/",
            "api/products/duplicate-sku/",
            "shop.views.problems.DuplicateSkuView",
            ("POST",),
        ),
        EndpointMethods(
            "api/debug/boom/", "api/debug/boom/", "shop.views.problems.BoomView", ("GET",)
        ),
        EndpointMethods(
            "api/admin/stats/", "api/admin/stats/", "shop.views.orders.AdminStatsView", ("GET",)
        ),
    )


def test_json_is_versioned_and_stable(
    contract: ContractMap, shop_frontend: NextjsApp, shop_django: DjangoDiscovery
) -> None:
    text = to_json(contract)
    document = json.loads(text)
    assert document["version"] == 1
    assert document["summary"] == {
        "not_found": 1,
        "method_not_allowed": 1,
        "missing_trailing_slash": 1,
        "missing_credentials": 1,
        "unresolved": 1,
        "external": 0,
        "ok": 24,
    }
    product = next(c for c in document["calls"] if c["location"] == PRODUCT)
    assert product["parameters"] == [{"expression": "params.id", "name": "pk", "converter": "int"}]
    assert product["endpoint"]["route"] == "api/products/<int:pk>/"
    reversed_app = dataclasses.replace(shop_frontend, calls=shop_frontend.calls[::-1])
    assert to_json(build_map(reversed_app, shop_django)) == text


def test_markdown_lists_flagged_calls_first(contract: ContractMap) -> None:
    text = to_markdown(contract)
    lines = text.splitlines()
    assert lines[0] == "### e2e-otel contract map"
    rows = [line for line in lines if line.startswith("| ")]
    assert rows[1].startswith("| 404 not found | `POST /api/auth/register/`")
    assert rows[2].startswith("| 405 method not allowed | `POST /api/products/`")
    assert "`params.id` -> `pk`" in text
    assert "Endpoints no frontend call reaches: none." in text
    assert len(text) < 65536  # GitHub's limit for a PR comment
