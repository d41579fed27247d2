"""Matching rules on small hand-made endpoint lists: Django's URL order and converters, run-time
parts, trailing slashes, query strings, bases, implied methods, credentials."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace

import pytest

from e2e_otel.contract.match import Matcher, methods_not_in
from e2e_otel.contract.models import CallMatch, ContractMap, EndpointMethods, ParamBinding
from e2e_otel.contract.paths import route_key
from e2e_otel.contract.report import to_json, to_markdown
from e2e_otel.discovery.django_models import DjangoDiscovery, DjangoEndpoint, Operation, ViewKind
from e2e_otel.discovery.nextjs_models import ApiCall, UrlBase, UrlTemplate

API = UrlBase("NEXT_PUBLIC_API_URL", "http://localhost:8000", "process.env.NEXT_PUBLIC_API_URL")
ALLOW_ANY = "rest_framework.permissions.AllowAny"
IS_AUTHENTICATED = "rest_framework.permissions.IsAuthenticated"
READ_ONLY = "rest_framework.permissions.IsAuthenticatedOrReadOnly"


def endpoint(
    template: str,
    *methods: str,
    parameters: Mapping[str, str] | None = None,
    permissions: tuple[str, ...] = (ALLOW_ANY,),
    kind: ViewKind = "apiview",
) -> DjangoEndpoint:
    ops = tuple(Operation(m, m.lower(), permissions=permissions) for m in methods or ("GET",))
    view = "app.views." + (
        template.strip("/").replace("/", "_").replace("{", "").replace("}", "") or "root"
    )
    return DjangoEndpoint(template, template, None, view, kind, dict(parameters or {}), ops)


def call(
    path: str | None,
    method: str | None = "GET",
    *,
    base: UrlBase | None = API,
    params: tuple[str, ...] = (),
    credentials: bool | None = True,
    query: str | None = None,
) -> ApiCall:
    url = UrlTemplate(path is not None, path, query, params, base, path or "buildUrl()")
    return ApiCall("src/page.tsx", 1, method, url, "fetch", (), credentials, (), None)


def match(endpoints: list[DjangoEndpoint], the_call: ApiCall, **kw: tuple[str, ...]) -> CallMatch:
    return Matcher(endpoints, (), kw.get("api_bases", ())).match(the_call)


PRODUCTS = [
    endpoint("api/products/"),
    endpoint("api/products/{pk}/", parameters={"pk": "int"}),
    endpoint("api/products/with-reviews/"),
]


def test_a_literal_skips_an_int_converter_for_the_literal_route() -> None:
    found = match(PRODUCTS, call("/api/products/with-reviews/"))
    assert found.endpoint is PRODUCTS[2] and found.parameters == ()


def test_django_url_order_wins_when_a_str_converter_comes_first() -> None:
    endpoints = [
        endpoint("api/products/{slug}/", parameters={"slug": "str"}),
        endpoint("api/products/with-reviews/"),
    ]
    found = match(endpoints, call("/api/products/with-reviews/"))
    assert found.endpoint is endpoints[0]
    assert found.parameters == (ParamBinding("with-reviews", "slug", "str"),)


def test_a_run_time_part_matches_parameters_not_literal_text() -> None:
    found = match(PRODUCTS, call("/api/products/{p.id}/", params=("p.id",)))
    assert found.endpoint is PRODUCTS[1]
    assert found.parameters == (ParamBinding("p.id", "pk", "int"),)
    only_literal = [PRODUCTS[2]]
    loose = match(only_literal, call("/api/products/{p.id}/", params=("p.id",)))
    assert (loose.verdict, loose.endpoint) == ("unresolved", None)
    assert "api/products/with-reviews/" in loose.notes[-1]
    kind = match(PRODUCTS, call("/api/{kind}/42/", params=("kind",)))
    assert (kind.verdict, kind.endpoint) == ("unresolved", None)
    assert kind.notes[-1].endswith("could be api/products/{pk}/")


def test_part_literal_parameters_must_fit_the_converter() -> None:
    int_item = [endpoint("api/items/{pk}/", parameters={"pk": "int"})]
    assert match(int_item, call("/api/items/item-{n}/", params=("n",))).verdict == "not_found"
    assert match(int_item, call("/api/items/42/")).parameters == (ParamBinding("42", "pk", "int"),)
    str_item = [endpoint("api/items/{key}/", parameters={"key": "str"})]
    found = match(str_item, call("/api/items/item-{n}/", params=("n",)))
    assert found.parameters == (ParamBinding("item-{n}", "key", "str"),)


@pytest.mark.parametrize(
    ("converter", "value", "matches"),
    [
        ("slug", "summer-sale_2", True),
        ("slug", "a.b", False),
        ("uuid", "123e4567-e89b-12d3-a456-426614174000", True),
        ("uuid", "123", False),
        ("path", "a/b/c.txt", True),
        ("[0-9]{4}", "2024", True),  # a re_path group: its own regex
        ("[0-9]{4}", "24", False),
    ],
)
def test_converters(converter: str, value: str, matches: bool) -> None:
    endpoints = [endpoint("files/{x}/", parameters={"x": converter})]
    assert (match(endpoints, call(f"/files/{value}/")).verdict == "ok") is matches


def test_a_missing_trailing_slash_is_added_with_a_note() -> None:
    without = match(PRODUCTS, call("/api/products"))
    assert without.endpoint is PRODUCTS[0] and "APPEND_SLASH" in without.notes[0]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_method_append_slash_cannot_redirect_fails_without_the_slash(method: str) -> None:
    items = [endpoint("api/items/", "GET", "POST", "PUT", "PATCH", "DELETE")]
    found = match(items, call("/api/items", method))
    assert (found.verdict, found.endpoint) == ("missing_trailing_slash", items[0])
    assert f"APPEND_SLASH cannot redirect a {method} to /api/items/" in found.notes[0]
    assert match(items, call("/api/items/", method)).verdict == "ok"


def test_get_and_head_without_the_slash_are_redirected_and_pass() -> None:
    items = [endpoint("api/items/", "GET", "POST")]
    for method in ("GET", "HEAD"):
        found = match(items, call("/api/items", method))
        assert found.verdict == "ok" and "redirects to /api/items/" in found.notes[0]
    # The method is not known: that, not the slash, is what stays open.
    assert match(items, call("/api/items", None)).verdict == "unresolved"


def test_an_extra_trailing_slash_is_never_removed() -> None:
    # Nothing in Django redirects /api/health/ to /api/health: that request is a 404.
    found = match([endpoint("api/health")], call("/api/health/"))
    assert (found.verdict, found.endpoint) == ("not_found", None)


def test_query_strings_and_repeated_slashes_are_ignored() -> None:
    found = match(PRODUCTS, call("//api//products/", query="page={n}"))
    assert (found.verdict, found.path, found.endpoint) == ("ok", "/api/products/", PRODUCTS[0])


@pytest.mark.parametrize("expression", ["row?.id", "this.#id", "a ?? b"])
def test_a_question_mark_or_hash_inside_a_run_time_part_is_not_a_query(expression: str) -> None:
    # `/api/products/${row?.id}/`: optional chaining, not a query string cutting the path
    path = "/api/products/{" + expression + "}/"
    found = match(PRODUCTS, call(path, params=(expression,)))
    assert (found.verdict, found.path, found.endpoint) == ("ok", path, PRODUCTS[1])
    assert found.parameters == (ParamBinding(expression, "pk", "int"),)


def test_a_query_after_a_run_time_part_is_still_dropped() -> None:
    found = match(PRODUCTS, call("/api/products/{p.id}/?full=1#top", params=("p.id",)))
    assert (found.verdict, found.path, found.endpoint) == (
        "ok",
        "/api/products/{p.id}/",
        PRODUCTS[1],
    )


def test_a_base_with_a_path_prefixes_the_call() -> None:
    base = UrlBase(None, "https://api.example.com/v1", "https://api.example.com/v1")
    found = match([endpoint("v1/orders/")], call("/orders/", base=base))
    assert (found.verdict, found.path) == ("ok", "/v1/orders/")


def test_bases_that_are_not_the_api_are_external() -> None:
    other = UrlBase("NEXT_PUBLIC_CMS_URL", None, "process.env.NEXT_PUBLIC_CMS_URL")
    outside = match(PRODUCTS, call("/posts/", base=other), api_bases=("NEXT_PUBLIC_API_URL",))
    assert (outside.verdict, outside.target) == ("external", "external")
    inside = match(PRODUCTS, call("/api/products/"), api_bases=("http://localhost:8000",))
    assert inside.verdict == "ok"
    # Without --api-base every base is the API: the same CMS call is a 404.
    assert match(PRODUCTS, call("/posts/", base=other)).verdict == "not_found"


def test_head_and_options_are_implied_other_methods_are_not() -> None:
    assert match(PRODUCTS, call("/api/products/", "HEAD")).verdict == "ok"
    assert match(PRODUCTS, call("/api/products/", "OPTIONS")).verdict == "ok"
    refused = match(PRODUCTS, call("/api/products/", "DELETE"))
    assert refused.verdict == "method_not_allowed" and refused.endpoint is PRODUCTS[0]
    post_only = [endpoint("api/checkout/", "POST")]
    assert match(post_only, call("/api/checkout/", "HEAD")).verdict == "method_not_allowed"


def test_a_function_view_answering_any_method_accepts_every_method() -> None:
    anything = [endpoint("hook/", "*", kind="function")]
    assert match(anything, call("/hook/", "PUT")).verdict == "ok"


def test_a_view_without_handler_methods_refuses_every_method_but_options(
    fx: DjangoDiscovery,
) -> None:
    empty = fx.endpoint("empty/")  # a real APIView with no handler methods
    refused = match([empty], call("/empty/", "GET"))
    assert (refused.verdict, refused.endpoint) == ("method_not_allowed", empty)
    assert refused.notes == ("fx_app.views.EmptyView allows OPTIONS",)
    assert match([empty], call("/empty/", "OPTIONS")).verdict == "ok"
    # No call can reach it: it is listed with no methods, and shown so in the Markdown.
    uncalled = methods_not_in([empty], {("empty/", "GET")})
    assert uncalled == (EndpointMethods("empty/", "empty/", "fx_app.views.EmptyView", ()),)
    text = to_markdown(ContractMap("app", "fx_settings", (), uncalled))
    assert "| (none) | `empty/` | `fx_app.views.EmptyView` |" in text


def test_a_view_answering_in_its_own_dispatch_accepts_every_method(fx: DjangoDiscovery) -> None:
    graphql = fx.endpoint("graphql/")  # a real View whose dispatch() handles every request
    for method in ("POST", "GET", "DELETE"):
        found = match([graphql], call("/graphql/", method))
        assert (found.verdict, found.endpoint) == ("ok", graphql), method
    assert methods_not_in([graphql], {("graphql/", "POST")}) == ()
    assert methods_not_in([graphql], set()) == (
        EndpointMethods("graphql/", "graphql/", "fx_app.views.GraphQLView", ("*",)),
    )


def test_unknown_method_is_unresolved_but_names_the_endpoint() -> None:
    found = match(PRODUCTS, call("/api/products/", None))
    assert (found.verdict, found.endpoint) == ("unresolved", PRODUCTS[0])


def test_credentials_needed_only_where_permissions_refuse_anonymous_requests() -> None:
    cart = [endpoint("api/cart/", "GET", "POST", permissions=(IS_AUTHENTICATED,))]
    assert match(cart, call("/api/cart/", credentials=True)).verdict == "ok"
    assert match(cart, call("/api/cart/", credentials=False)).verdict == "missing_credentials"
    # Options unreadable: cross-origin is flagged, a same-origin (relative) URL is not.
    assert match(cart, call("/api/cart/", credentials=None)).verdict == "missing_credentials"
    same_origin = call("/api/cart/", base=None, credentials=None)
    assert match(cart, same_origin).verdict == "ok"
    reviews = [endpoint("api/reviews/", "GET", "POST", permissions=(READ_ONLY,))]
    assert match(reviews, call("/api/reviews/", credentials=False)).verdict == "ok"
    flagged = match(reviews, call("/api/reviews/", "POST", credentials=False))
    assert flagged.verdict == "missing_credentials"
    assert "IsAuthenticatedOrReadOnly" in flagged.notes[0]
    open_view = [endpoint("api/token/", "POST", permissions=())]
    assert match(open_view, call("/api/token/", "POST", credentials=False)).verdict == "ok"
    # A custom class counts as refusing, unless discovery asked it and it let the anonymous
    # request through (a signup: anonymous users may create, nothing else).
    custom = ("app.permissions.SignupOrUser",)
    users = endpoint("api/users/", "GET", "POST", permissions=custom)
    signup = replace(
        users, operations=(users.operations[0], replace(users.operations[1], anonymous=True))
    )
    assert match([signup], call("/api/users/", "POST", credentials=False)).verdict == "ok"
    listed = match([signup], call("/api/users/", "GET", credentials=False))
    assert listed.verdict == "missing_credentials" and "SignupOrUser" in listed.notes[0]
    assert match([users], call("/api/users/", "POST", credentials=False)).verdict == (
        "missing_credentials"
    )
    # A class that also checks objects: only a route naming no object is sure to let it in.
    checked = replace(signup.operations[1], object_checks=True)
    listing = replace(signup, operations=(signup.operations[0], checked))
    assert match([listing], call("/api/users/", "POST", credentials=False)).verdict == "ok"
    detail = replace(listing, template="api/users/{pk}/", parameters={"pk": "int"})
    patched = match([detail], call("/api/users/1/", "POST", credentials=False))
    assert patched.verdict == "missing_credentials"


def test_unresolved_url() -> None:
    found = match(PRODUCTS, call(None))
    assert (found.verdict, found.target, found.path) == ("unresolved", "unknown", None)


@pytest.mark.parametrize(
    ("route", "key"),
    [
        ("api/products/<int:pk>/", "api/products/{pk}/"),
        ("/api/products/<pk>/", "api/products/{pk}/"),
        ("^api/^legacy/(?P<year>[0-9]{4})/$", "api/legacy/(?P<year>[0-9]{4})/"),
        ("^api/legacy/[^/]+/$", "api/legacy/[^/]+/"),
    ],
)
def test_route_key_puts_discovered_and_traced_routes_in_one_form(route: str, key: str) -> None:
    assert route_key(route) == key


def test_the_branches_of_a_url_chosen_at_run_time_say_their_condition() -> None:
    # `mine ? "/api/products/with-reviews/" : "/api/product/"`: two calls at one place.
    chosen = [
        replace(call("/api/products/with-reviews/"), condition="mine"),
        replace(call("/api/product/"), condition="!mine"),
    ]
    matches = tuple(match(PRODUCTS, c) for c in chosen)
    document = json.loads(to_json(ContractMap("app", "fx_settings", matches, ())))
    assert [(c["location"], c["condition"], c["verdict"]) for c in document["calls"]] == [
        ("src/page.tsx:1", "mine", "ok"),
        ("src/page.tsx:1", "!mine", "not_found"),
    ]
    text = to_markdown(ContractMap("app", "fx_settings", matches, ()))
    assert "`src/page.tsx:1` if `!mine`" in text  # the failing branch, in the table on top
    assert "`src/page.tsx:1` if `mine`" in text
    templated = replace(call("/api/product/"), condition="`${kind}` === 'a'")
    text = to_markdown(ContractMap("app", "fx_settings", (match(PRODUCTS, templated),), ()))
    assert "if `` `${kind}` === 'a' ``" in text  # a backtick in it does not end the code
