"""Small, fast test data: a few products with reviews, and alice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from shop.models import Category, Product, Review

PRODUCTS = 7  # over the N+1 rule's 5 repeats: /api/products/with-reviews/ must be caught


def pytest_configure(config: pytest.Config) -> None:
    # live_server's static files handler needs a STATIC_URL; the JSON-only shop has none.
    settings.STATIC_URL = "/static/"
    allow_cross_origin_calls()


def allow_cross_origin_calls() -> None:
    """CORS as SHOP_CORS_ORIGINS turns it on (shop_project/settings.py), with no origin yet: the
    browser test allows its storefront's once it has a port (django-cors-headers reads the
    origins on each request). pytest-django loaded the settings before this conftest, so the
    middleware is added here, before live_server builds its handler."""
    cors = "corsheaders.middleware.CorsMiddleware"
    if cors in settings.MIDDLEWARE:
        return  # SHOP_CORS_ORIGINS was set: the settings did it
    from corsheaders.defaults import default_headers

    settings.MIDDLEWARE = [cors, *settings.MIDDLEWARE]
    settings.CORS_ALLOWED_ORIGINS = []
    settings.CORS_ALLOW_HEADERS = (
        *default_headers,
        "traceparent",
        "tracestate",
        "baggage",
        "x-correlation-id",
        "x-workflow-type",
    )
    settings.CORS_EXPOSE_HEADERS = ["x-correlation-id", "traceresponse"]


@pytest.fixture(scope="session")
def alice_password_hash() -> str:
    return make_password("alice-password")  # hashed once: hashing is slow on purpose


@pytest.fixture
def alice(db: None, alice_password_hash: str) -> User:
    return User.objects.create(username="alice", password=alice_password_hash)


def _books(category: Category, numbers: range) -> None:
    Product.objects.bulk_create(
        Product(
            sku=f"SKU-{n:05d}",
            name=f"Book {n}",
            price=Decimal("9.99"),
            stock=10,
            category=category,
            supplier_code="SUP-001",
        )
        for n in numbers
    )


@pytest.fixture
def products(db: None) -> list[Product]:
    category = Category.objects.create(name="Books", slug="books")
    _books(category, range(1, PRODUCTS + 1))
    created = list(Product.objects.order_by("id"))
    Review.objects.bulk_create(Review(product=p, rating=5, body="Good.") for p in created)
    return created


@pytest.fixture
def catalog(products: list[Product]) -> list[Product]:
    """Two pages of products: a product's page also asks for the second page of the list."""
    _books(products[0].category, range(len(products) + 1, 22))
    return list(Product.objects.order_by("id"))
