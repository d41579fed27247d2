"""`manage.py seed_shop [--reset]`: demo users, catalog, reviews and >= 100k page views.

Idempotent: users are (re)set to their known passwords and every table that already holds
data is left alone, so running it twice is cheap. `--reset` truncates the shop tables first.
On a fresh database `alice` is user 1 and products are 1..N (integration tests rely on it).
"""

from __future__ import annotations

import random
import time
from argparse import ArgumentParser
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.core.management.color import no_style
from django.db import connection, models, transaction

from shop.models import (
    Cart,
    CartItem,
    Category,
    Order,
    OrderItem,
    PageView,
    Product,
    Review,
)

USERS = (("alice", "alice-password", False), ("admin", "admin-password", True))
CATEGORIES = (
    "Books", "Music", "Games", "Garden", "Kitchen", "Outdoor", "Toys", "Office", "Audio", "Tools",
)  # fmt: skip
# traffic.py asks the slow report for some of these; keep them in sync.
REFERRERS = (
    "https://www.google.com/",
    "https://news.ycombinator.com/",
    "https://www.reddit.com/r/django/",
    "https://duckduckgo.com/",
    "https://t.co/",
    *(f"https://partner-{n:02d}.example.com/campaign" for n in range(40)),
)
PATHS = ("/", "/products", "/cart", "/checkout", "/login", *(f"/products/{n}" for n in range(200)))
# Real-length user agents: row width is what a full table scan pays for.
AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
)
# Big enough batches that 100k rows cost ~10 round trips, small enough for max_allowed_packet.
BATCH = 10_000
SHOP_MODELS: tuple[type[models.Model], ...] = (
    OrderItem, Order, CartItem, Cart, Review, PageView, Product, Category,
)  # fmt: skip


class Command(BaseCommand):
    help = "Seed the demo shop (users, catalog, reviews, page views). Safe to re-run."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--reset", action="store_true", help="truncate the shop tables first")
        parser.add_argument("--products", type=int, default=200)
        parser.add_argument("--pageviews", type=int, default=400_000)
        parser.add_argument("--seed", type=int, default=42, help="random seed (deterministic data)")

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        rng = random.Random(opts["seed"])
        if opts["reset"]:
            self._reset()
        with transaction.atomic():
            self._users()
            if not Category.objects.exists():
                Category.objects.bulk_create(
                    Category(name=name, slug=name.lower()) for name in CATEGORIES
                )
            if not Product.objects.exists():
                self._products(rng, opts["products"])
            if not Review.objects.exists():
                self._reviews(rng)
            if not PageView.objects.exists():
                self._pageviews(rng, opts["pageviews"])
        elapsed = time.perf_counter() - started
        counts = ", ".join(
            f"{model._meta.verbose_name_plural}={model._default_manager.count()}"
            for model in (Category, Product, Review, PageView)
        )
        self.stdout.write(f"seed_shop: {counts} in {elapsed:.1f}s")

    def _reset(self) -> None:
        # TRUNCATE (what Django's flush uses on MySQL): instant on 400k page views, and ids
        # restart at 1, so "product 1" and friends exist again after a reset.
        tables = [model._meta.db_table for model in SHOP_MODELS]
        connection.ops.execute_sql_flush(
            connection.ops.sql_flush(no_style(), tables, reset_sequences=True)
        )

    def _users(self) -> None:
        user_model = get_user_model()
        for username, password, staff in USERS:
            user, _ = user_model.objects.get_or_create(username=username)
            user.set_password(password)
            user.is_staff = staff
            user.email = f"{username}@shop.example"
            user.save()

    def _products(self, rng: random.Random, count: int) -> None:
        categories = list(Category.objects.all())
        Product.objects.bulk_create(
            (
                Product(
                    sku=f"SKU-{n:05d}",
                    name=f"{rng.choice(categories).name} item {n}",
                    description="A fine demo product.",
                    price=Decimal(rng.randint(199, 49_999)) / 100,
                    stock=1_000,
                    category=rng.choice(categories),
                    supplier_code=f"SUP-{rng.randint(1, 60):03d}",
                )
                for n in range(1, count + 1)
            ),
            batch_size=BATCH,
        )

    def _reviews(self, rng: random.Random) -> None:
        product_ids = list(Product.objects.values_list("id", flat=True))
        Review.objects.bulk_create(
            (
                Review(product_id=pid, rating=rng.randint(1, 5), body=f"Review {k} of {pid}.")
                for pid in product_ids
                for k in range(rng.randint(1, 9))
            ),
            batch_size=BATCH,
        )

    def _pageviews(self, rng: random.Random, count: int) -> None:
        # Naive UTC: raw SQL skips Django's USE_TZ conversion, and the column holds UTC.
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        # Skewed like real traffic: the first referrers are far more common than partners.
        weights = [50, 20, 10, 8, 6, *([1] * (len(REFERRERS) - 5))]
        referrers = rng.choices(REFERRERS, weights=weights, k=count)
        table = PageView._meta.db_table
        columns = ("path", "url", "referrer", "user_agent", "session_key", "created_at")
        # Plain executemany instead of bulk_create: no model instance per row, and both
        # PyMySQL and mysqlclient rewrite it into multi-row INSERTs (about 4x faster here).
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )
        with connection.cursor() as cursor:
            for start in range(0, count, BATCH):
                rows = []
                for n in range(start, min(start + BATCH, count)):
                    path = rng.choice(PATHS)
                    campaign = rng.randint(1, 500)
                    rows.append(
                        (
                            path,
                            f"https://shop.example{path}?utm_source=web&utm_campaign=c{campaign}",
                            referrers[n],
                            rng.choice(AGENTS),
                            f"{rng.getrandbits(128):032x}",
                            now - timedelta(seconds=rng.randint(0, 30 * 86_400)),
                        )
                    )
                cursor.executemany(sql, rows)
