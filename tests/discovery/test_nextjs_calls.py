"""Next.js API calls: each client style with location, method, URL template, base and
credentials; wrappers followed; what cannot be resolved is reported, not dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e_otel.discovery.nextjs import scan
from e2e_otel.discovery.nextjs_models import ApiCall, NextjsApp
from tests.discovery.test_nextjs import SHOP, write

API_BASE = ("NEXT_PUBLIC_API_URL", "http://localhost:8000")


@pytest.fixture(scope="module")
def shop() -> NextjsApp:
    return scan(SHOP)


def call_at(app: NextjsApp, location: str) -> ApiCall:
    matches = [c for c in app.calls if c.location == location]
    assert len(matches) == 1, f"{location}: {[c.location for c in app.calls]}"
    return matches[0]


def base_of(call: ApiCall) -> tuple[str | None, str | None] | None:
    base = call.url.base
    return None if base is None else (base.env, base.literal)


def test_fetch_with_env_base_and_credentials(shop: NextjsApp) -> None:
    login = call_at(shop, "src/lib/auth.ts:12")
    assert (login.client, login.method, login.url.path) == ("fetch", "POST", "/api/auth/login/")
    assert base_of(login) == API_BASE
    assert (login.credentials, login.credentials_via) == (True, ('credentials: "include"',))
    stats = call_at(shop, "src/app/admin/@stats/page.tsx:10")
    assert (stats.method, stats.url.path, stats.credentials) == ("GET", "/api/admin/stats/", False)


def test_path_parameters_are_marked(shop: NextjsApp) -> None:
    detail = call_at(shop, "src/app/(shop)/products/[id]/page.tsx:8")
    assert (detail.url.path, detail.url.params) == ("/api/products/{params.id}/", ("params.id",))
    assert detail.url.expression == "`${API_URL}/api/products/${params.id}/`"


def test_axios_module_calls(shop: NextjsApp) -> None:
    token = call_at(shop, "src/lib/auth.ts:22")
    assert (token.client, token.method, token.url.path) == ("axios", "POST", "/api/auth/token/")
    refresh = call_at(shop, "src/lib/auth.ts:27")  # axios({url, method: "post"})
    assert (refresh.method, refresh.url.path) == ("POST", "/api/auth/token/refresh/")
    profile = call_at(shop, "src/app/account/profile/page.tsx:14")
    assert (profile.credentials, profile.credentials_via) == (True, ("Authorization header",))


def test_axios_instance_base_url_and_interceptor(shop: NextjsApp) -> None:
    cart = call_at(shop, "src/app/(shop)/cart/page.tsx:12")
    assert (cart.method, cart.url.path, base_of(cart)) == ("GET", "/api/cart/", API_BASE)
    assert cart.via == ("axios instance api (src/lib/http.ts:7)",)
    assert cart.credentials_via == (
        "withCredentials: true",
        "Authorization set by a request interceptor",
    )
    assert cart.hook == "useQuery"
    item = call_at(shop, "src/app/(shop)/cart/page.tsx:16")
    assert (item.method, item.url.path, item.hook) == (
        "PATCH",
        "/api/cart/items/{itemId}/",
        "useMutation",
    )
    orders = call_at(shop, "src/app/account/orders/page.tsx:12")
    assert orders.url.path == "/api/orders"  # as written: no trailing slash


def test_query_string_is_split_from_the_path(shop: NextjsApp) -> None:
    report = call_at(shop, "src/app/admin/@reports/page.tsx:11")
    assert (report.url.path, report.url.query) == ("/api/reports/pageviews/", "referrer={referrer}")
    assert report.url.params == ()
    blog = call_at(shop, "src/pages/blog/[slug].tsx:12")  # "+" concatenation, env without default
    assert (blog.url.path, blog.url.query, base_of(blog)) == (
        "/api/products/",
        "supplier_code={slug}",
        ("NEXT_PUBLIC_API_URL", None),
    )


def test_swr_key_is_the_url_and_the_fetcher_decides_the_rest(shop: NextjsApp) -> None:
    products = call_at(shop, "src/app/(shop)/products/page.tsx:12")
    assert (products.method, products.url.path, products.hook) == (
        "GET",
        "/api/products/",
        "useSWR",
    )
    assert products.via == ("useSWR", "fetcher (src/lib/fetcher.ts:2)")
    assert products.credentials is True
    hook = call_at(shop, "src/hooks/useProduct.ts:8")  # key `id ? url : null`
    assert (hook.url.path, hook.url.params) == ("/api/products/{id}/", ("id",))
    inline = call_at(shop, "src/app/(shop)/categories/[...slug]/page.tsx:9")  # [url, x] key
    assert (inline.url.path, inline.credentials) == ("/api/products/", False)


def test_wrappers_are_followed_through_two_levels(shop: NextjsApp) -> None:
    checkout = call_at(shop, "src/app/(shop)/checkout/page.tsx:11")
    assert (checkout.method, checkout.url.path, base_of(checkout)) == (
        "POST",
        "/api/checkout/",
        API_BASE,
    )
    assert checkout.via == ("apiClient.post (src/lib/api.ts:27)", "apiFetch (src/lib/api.ts:13)")
    assert checkout.credentials is True
    reviews = call_at(shop, "src/app/(shop)/products/with-reviews/page.tsx:13")
    assert (reviews.method, reviews.hook) == ("GET", "useQuery")
    add = call_at(shop, "src/components/AddToCartButton.tsx:11")
    assert (add.method, add.url.path, add.hook) == ("POST", "/api/cart/items/", "useMutation")
    names = {w.name: w.uses for w in shop.wrappers}
    assert names["apiFetch"] == 4 and names["apiClient.post"] == 3 and names["fetcher"] == 2
    assert not any(c.file == "src/lib/api.ts" for c in shop.calls)


def test_helper_returning_headers_counts_as_authorization(shop: NextjsApp) -> None:
    bff = call_at(shop, "src/app/api/bff/cart/route.ts:16")
    assert (bff.method, bff.url.path, bff.credentials_via) == (
        "POST",
        "/api/cart/items/",
        ("Authorization header",),
    )


def test_unresolvable_url_is_reported_with_its_expression(shop: NextjsApp) -> None:
    help_call = call_at(shop, "src/pages/help/[[...topic]].js:11")
    assert (help_call.url.resolved, help_call.url.path) == (False, None)
    assert help_call.url.expression == "statusUrl(topic)"
    assert all(c.url.resolved for c in shop.calls if c is not help_call)


def test_small_app_options_and_unknowns(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "tsconfig.json": '{"compilerOptions": {"baseUrl": "."}}',
            "lib/client.ts": (
                "const BASE = 'https://api.example.com/v1';\n"
                "export async function send(path: string, method: string) {\n"
                "  return fetch(BASE + path, { method, headers: { authorization: 'x' } });\n"
                "}\n"
            ),
            "app/page.tsx": (
                "import { send } from 'lib/client';\n"
                "export default async function P({ opts }) {\n"
                "  await send('/items/', 'delete');\n"
                "  await fetch('/local', opts);\n"
                "  await fetch(process.env.NEXT_PUBLIC_STATUS_URL!);\n"
                "}\n"
            ),
        },
    )
    app = scan(tmp_path)
    sent, local, status = app.calls
    assert (sent.method, sent.url.path, base_of(sent)) == (
        "DELETE",
        "/v1/items/",
        (None, "https://api.example.com"),
    )
    assert sent.credentials_via == ("Authorization header",)
    assert (local.url.path, local.url.base, local.method, local.credentials) == (
        "/local",
        None,
        None,
        None,
    )
    assert (status.url.resolved, base_of(status)) == (False, ("NEXT_PUBLIC_STATUS_URL", None))


def test_object_constants_and_new_url(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pages/x.tsx": (
                'const ENDPOINTS = { products: "/api/products/" } as const;\n'
                'const BASE = process.env.NEXT_PUBLIC_API_URL || "http://localhost:8000";\n'
                "export default function X() {\n"
                "  fetch(new URL(ENDPOINTS.products, BASE));\n"
                '  fetch(`${BASE}${ENDPOINTS.products}?page=2`, { credentials: "same-origin" });\n'
                "}\n"
            )
        },
    )
    first, second = scan(tmp_path).calls
    assert (first.url.path, base_of(first)) == ("/api/products/", API_BASE)
    assert (second.url.path, second.url.query, second.credentials) == (
        "/api/products/",
        "page=2",
        False,
    )
