"""``discover django`` on the demo shop: every endpoint its urls.py declares, with the methods,
serializers and authentication/permission classes its views declare (settings defaults
applied where a view does not override them)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from e2e_otel.cli import discover_django as cli_discover_django
from e2e_otel.discovery.django import discover_django
from e2e_otel.discovery.django_models import DjangoDiscovery, discovery_from_json
from tests.integration.services import SHOP

JWT = "rest_framework_simplejwt.authentication.JWTAuthentication"
SESSION = "rest_framework.authentication.SessionAuthentication"
ALLOW_ANY = "rest_framework.permissions.AllowAny"
IS_AUTHENTICATED = "rest_framework.permissions.IsAuthenticated"


@pytest.fixture(scope="module")
def shop() -> DjangoDiscovery:
    return discover_django("shop_project.settings", pythonpath=[str(SHOP)])


def test_every_route_of_the_shop_with_its_methods(shop: DjangoDiscovery) -> None:
    found = {e.template: e.methods for e in shop.endpoints}
    assert found == {
        "api/auth/login/": ("POST",),
        "api/auth/token/": ("POST",),
        "api/auth/token/refresh/": ("POST",),
        "api/products/": ("GET",),
        "api/products/{pk}/": ("GET",),
        "api/products/with-reviews/": ("GET",),
        "api/cart/": ("GET",),
        "api/cart/items/": ("POST",),
        "api/cart/items/{pk}/": ("PATCH",),
        "api/checkout/": ("POST",),
        "api/orders/": ("GET",),
        "api/reports/pageviews/": ("GET",),
        "api/products/duplicate-sku/": ("POST",),
        "api/debug/boom/": ("GET",),
        "api/admin/stats/": ("GET",),
    }
    # The shop does not mount django.contrib.admin, so no admin: URL names appear.
    assert not [e for e in shop.endpoints if (e.name or "").startswith("admin:")]


def test_raw_route_name_view_and_path_parameters(shop: DjangoDiscovery) -> None:
    detail = shop.endpoint("api/products/{pk}/")
    assert detail.route == "api/products/<int:pk>/"  # what http.route carries on spans
    assert detail.name == "product-detail"
    assert detail.view == "shop.views.catalog.ProductDetailView"
    assert detail.kind == "apiview"
    assert detail.parameters == {"pk": "int"}
    assert detail.implicit_methods == ("HEAD", "OPTIONS")
    assert shop.endpoint("api/checkout/").implicit_methods == ("OPTIONS",)


def test_login_views_declare_their_own_authentication(shop: DjangoDiscovery) -> None:
    session = shop.endpoint("api/auth/login/").operation("POST")
    assert session.authentication == (JWT,)
    assert session.permissions == (ALLOW_ANY,)
    assert session.from_settings == ("throttles",)
    # No serializer_class: the body's schema is the serializer post() instantiates.
    assert session.serializer is None
    assert session.handler_serializers == ("shop.serializers.LoginSerializer",)
    for template, serializer in (
        ("api/auth/token/", "TokenObtainPairSerializer"),
        ("api/auth/token/refresh/", "TokenRefreshSerializer"),
    ):
        jwt_view = shop.endpoint(template)
        assert jwt_view.view.startswith("rest_framework_simplejwt.views.")
        token = jwt_view.operation("POST")
        # simplejwt's views set both lists to () on purpose: anyone may ask for a token.
        assert (token.authentication, token.permissions) == ((), ())
        assert token.serializer == f"rest_framework_simplejwt.serializers.{serializer}"


def test_settings_defaults_apply_where_views_do_not_override(shop: DjangoDiscovery) -> None:
    products = shop.endpoint("api/products/").operation("GET")
    assert products.authentication == (JWT, SESSION)  # REST_FRAMEWORK's order
    assert products.permissions == (ALLOW_ANY,)
    assert products.from_settings == ("authentication", "permissions", "throttles")
    assert products.serializer == "shop.serializers.ProductSerializer"
    for template, method in (
        ("api/cart/", "GET"),
        ("api/cart/items/", "POST"),
        ("api/checkout/", "POST"),
        ("api/orders/", "GET"),
    ):
        op = shop.endpoint(template).operation(method)
        assert op.permissions == (IS_AUTHENTICATED,), template
        assert op.authentication == (JWT, SESSION), template
        assert op.from_settings == ("authentication", "throttles"), template
    admin_stats = shop.endpoint("api/admin/stats/").operation("GET")
    assert admin_stats.permissions == ("rest_framework.permissions.IsAdminUser",)


def test_serializers_of_cart_checkout_and_the_n_plus_one_endpoint(shop: DjangoDiscovery) -> None:
    assert shop.endpoint("api/cart/items/").operation("POST").handler_serializers == (
        "shop.serializers.CartItemAddSerializer",
        "shop.serializers.CartItemSerializer",  # via the module's _item_response helper
    )
    assert shop.endpoint("api/checkout/").operation("POST").handler_serializers == (
        "shop.serializers.OrderSerializer",
    )
    reviews = shop.endpoint("api/products/with-reviews/").operation("GET")
    assert reviews.serializer == "shop.serializers.ProductWithReviewsSerializer"
    assert shop.endpoint("api/products/duplicate-sku/").operation("POST").serializer is None


def test_field_schemas_follow_the_serializers_and_models(shop: DjangoDiscovery) -> None:
    add = shop.serializers["shop.serializers.CartItemAddSerializer"]
    product_id, quantity = add.field("product_id"), add.field("quantity")
    assert (product_id.type, product_id.required, product_id.options) == (
        "IntegerField",
        True,
        {"min_value": 1},
    )
    assert quantity.required is False
    assert quantity.options == {"min_value": 1, "max_value": 99, "default": 1}
    assert "django.core.validators.MaxValueValidator" in quantity.validators
    login = shop.serializers["shop.serializers.LoginSerializer"]
    assert login.field("password").options["max_length"] == 128

    product = shop.serializers["shop.serializers.ProductSerializer"]
    assert product.model == "shop.models.Product"
    assert [f.name for f in product.fields] == [
        "id", "sku", "name", "price", "stock", "supplier_code", "category",
    ]  # fmt: skip
    sku = product.field("sku")
    assert sku.options["max_length"] == 32
    assert "rest_framework.validators.UniqueValidator" in sku.validators  # unique=True
    assert product.field("id").read_only
    price = product.field("price")
    assert (price.type, price.options["max_digits"], price.options["decimal_places"]) == (
        "DecimalField",
        10,
        2,
    )
    category = product.field("category")
    assert (category.nested, category.read_only, category.many) == (
        "shop.serializers.CategorySerializer",
        True,
        False,
    )
    assert shop.serializers["shop.serializers.CategorySerializer"].field("slug").type == (
        "SlugField"
    )
    order = shop.serializers["shop.serializers.OrderSerializer"]
    assert order.field("status").choices == ("placed", "shipped")
    items = order.field("items")
    assert (items.many, items.nested) == (True, "shop.serializers.OrderItemSerializer")
    sku_of_item = shop.serializers["shop.serializers.OrderItemSerializer"].field("sku")
    assert sku_of_item.source == "product.sku"


def test_cli_writes_json_that_reads_back_or_prints_a_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "django.json"
    parser = argparse.ArgumentParser()
    cli_discover_django.add_parser(parser.add_subparsers(dest="kind"))
    argv = ["django", "--settings", "shop_project.settings", "--pythonpath", str(SHOP)]
    assert cli_discover_django.run(parser.parse_args([*argv, "--json", str(out)])) == 0
    assert capsys.readouterr().out == ""  # the JSON goes to its file only
    assert cli_discover_django.run(parser.parse_args(argv)) == 0
    table = capsys.readouterr().out
    assert "15 endpoints in shop_project.settings" in table
    assert "PATCH   /api/cart/items/{pk}/" in table
    again = discovery_from_json(json.loads(out.read_text()))
    assert again.endpoint("api/checkout/").operation("POST").permissions == (IS_AUTHENTICATED,)
