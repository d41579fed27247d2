"""One MariaDB with performance_schema ON for the db-health tests, holding the shop's schema
plus planted problems: an unindexed filter run repeatedly, rows orphaned on two unenforced
relations, an unapplied migration and a model change without one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.dbhealth.server import PerfSchemaServer
from tests.integration.services import MariaDB, manage

PROJECT = Path(__file__).parent / "project"
SETTINGS = "dbhealth_settings"
PASSWORD = "shop"  # the shop settings' default, so manage.py reaches the server as is
ORPHAN_NOTES = 3
ORPHAN_REVIEWS = 2
REPORT_RUNS = 6
# Runs the shop's slow report query (PageView.referrer has no index) and an IN-list lookup
# through the ORM, printing the SQL exactly as Django sent it, one statement per line.
ORM_QUERIES = f"""
from django.db import connection
from django.db.models import Count
from shop.management.commands.seed_shop import REFERRERS
from shop.models import PageView, Product
sent = []
def record(execute, sql, params, many, context):
    if "shop_" in sql:  # not the backend's connection set-up queries
        sent.append(sql)
    return execute(sql, params, many, context)
with connection.execute_wrapper(record):
    for referrer in REFERRERS[:{REPORT_RUNS}]:
        list(PageView.objects.filter(referrer=referrer).values("path")
             .annotate(views=Count("id")).order_by("-views", "path"))
    list(Product.objects.filter(id__in=[1, 2, 3]).values_list("sku", flat=True))
print(sent[0])
print(sent[-1])
"""


@dataclass(frozen=True)
class Planted:
    server: PerfSchemaServer
    report_sql: str  # the unindexed PageView filter, as Django sent it
    in_list_sql: str  # a lookup with an IN list

    def dsn(self, password: str = PASSWORD) -> str:
        return f"mysql://shop:{password}@127.0.0.1:{self.server.port}/shop"


def shop_manage(server: PerfSchemaServer, *args: str) -> str:
    """manage.py of the shop with the test settings, against ``server``."""
    target = MariaDB(port=server.port, directory=server.directory)
    return manage(target, *args, f"--settings={SETTINGS}", f"--pythonpath={PROJECT}")


@pytest.fixture(scope="session")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Planted]:
    server = PerfSchemaServer(tmp_path_factory.mktemp("mariadb-ps"))
    server.start()
    try:
        yield _plant(server)
    finally:
        server.stop()


def _plant(server: PerfSchemaServer) -> Planted:
    server.sql(
        "CREATE DATABASE shop CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        f"CREATE USER 'shop'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}'",
        "GRANT ALL PRIVILEGES ON shop.* TO 'shop'@'127.0.0.1'",
        "GRANT SELECT ON performance_schema.* TO 'shop'@'127.0.0.1'",
    )
    shop_manage(server, "migrate", "--noinput", "-v", "0")
    shop_manage(server, "migrate", "drift", "0001", "--noinput", "-v", "0")  # 0002 unapplied
    shop_manage(server, "seed_shop", "--products", "20", "--pageviews", "3000")
    (product,) = server.sql("SELECT MIN(id) FROM shop.shop_product")[0]
    missing = [900_000 + n for n in range(ORPHAN_NOTES)]
    server.sql(
        "INSERT INTO shop.drift_note (product_id, text) VALUES "
        + ", ".join(f"({pk}, 'orphan')" for pk in [*missing, product])
    )
    # A relation whose FOREIGN KEY was dropped by hand: the models still declare it.
    ((constraint,),) = server.sql(
        "SELECT CONSTRAINT_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE "
        "TABLE_SCHEMA = 'shop' AND TABLE_NAME = 'shop_review' AND COLUMN_NAME = 'product_id' "
        "AND REFERENCED_TABLE_NAME IS NOT NULL"
    )
    server.sql(
        f"ALTER TABLE shop.shop_review DROP FOREIGN KEY `{constraint}`",
        "INSERT INTO shop.shop_review (product_id, rating, body, created_at) VALUES "
        + ", ".join(f"({800_000 + n}, 1, 'orphan', NOW())" for n in range(ORPHAN_REVIEWS)),
    )
    # The digests start from the application's queries: the migrations' DDL and the seeding
    # would otherwise compete for `analyze --db-dsn`'s top 50 by latency, and on a loaded
    # machine (slow DDL) push the planted scan out of it.
    server.sql("TRUNCATE TABLE performance_schema.events_statements_summary_by_digest")
    printed = shop_manage(server, "shell", "-c", ORM_QUERIES).strip().splitlines()
    return Planted(server, report_sql=printed[-2], in_list_sql=printed[-1])
