"""A real Prometheus scrapes the analyzer service: the findings, and every dashboard query over
them, are there to query.

The native stack (the built collector and Debian's Prometheus) runs with the analyzer scrape
job of prometheus/prometheus.yml pointed at the service's port.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from e2e_otel import metrics as m
from e2e_otel.analyzers.models import Report
from e2e_otel.dbhealth.metrics import DbHealthCollector
from e2e_otel.dbhealth.models import (
    Digest,
    DigestReport,
    HealthReport,
    MigrationStatus,
    OrphanCheck,
    Relation,
    ServerStatus,
)
from e2e_otel.service import run_service
from e2e_otel.stack.dashboards import dashboard_queries
from e2e_otel.stack.native import NativeStack
from tests.publish.test_prometheus_exposition import FP_SLOW, findings_report
from tests.stack.conftest import Prometheus, eventually, required
from tests.stack.test_queries import ANALYZER_METRICS, expand

REPORT = findings_report()
# A database-health report as `analyze --db-dsn` serves it beside the findings (the check itself
# runs against a real MariaDB in tests/dbhealth); every database-health panel must show it.
HEALTH = HealthReport(
    dsn="mysql://shop@127.0.0.1:3306/shop",
    generated_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    connected=True,
    status=ServerStatus("11.8.3-MariaDB", "mariadb", 7, 100, 12, 3, 3600, True),
    digests=DigestReport(
        True,
        "",
        (
            Digest(
                "shop",
                "d1",
                "SELECT ...",
                "select ...",
                FP_SLOW,
                False,
                40,
                8_000_000,
                400,
                0,
                40,
                0,
                5200.0,
                130.0,
            ),
        ),
    ),
    migrations=MigrationStatus("shop_project.settings", (), ()),
    orphans=(
        OrphanCheck(
            Relation(
                "shop.models.Review", "shop_review", "product_id", "shop_product", "id", False
            ),
            "db_constraint=False",
            3,
            False,
        ),
    ),
)
RUN_WINDOW: list[float] = []  # unix times before the service started and after it served


@pytest.fixture(scope="module")
def service_port() -> Iterator[int]:
    """The analyzer service on a free loopback port, its first report served."""
    stop = threading.Event()
    served = threading.Event()
    ports: list[int] = []

    def on_report(report: Report) -> None:
        served.set()

    thread = threading.Thread(
        target=run_service,
        args=(lambda: REPORT, timedelta(hours=1), "127.0.0.1", 0),
        kwargs={
            "on_report": on_report,
            "on_listening": lambda host, port: ports.append(port),
            "stop": stop,
            "collectors": [DbHealthCollector(lambda: HEALTH)],
        },
    )
    RUN_WINDOW.append(time.time())
    thread.start()
    try:
        eventually(served.is_set, "the service's first report", timeout=30)
        RUN_WINDOW.append(time.time())
        yield ports[0]
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()


@pytest.fixture(scope="module")
def prometheus(
    service_port: int,
    collector_bin: Path,
    prometheus_bin: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Prometheus]:
    """Prometheus of the native stack, after it scraped the service at least once."""
    stack = NativeStack(
        tmp_path_factory.mktemp("analyzer-stack"),
        interval="1s",
        analyzer_target=f"127.0.0.1:{service_port}",
        collector_bin=collector_bin,
        prometheus_bin=prometheus_bin,
    )
    required(stack.start)
    try:
        client = Prometheus(stack.prometheus_url)
        # Two scrapes at least: rate() panels need two samples.
        scraped = (
            'count_over_time(up{job="e2e-otel-analyzer"}[1m]) >= 2 '
            "and on() count(e2e_otel_finding_info) > 0"
        )
        eventually(lambda: client.query(scraped), "Prometheus scraping the analyzer service")
        yield client
    finally:
        stack.stop()


def test_findings_are_queryable(prometheus: Prometheus) -> None:
    found = prometheus.query(m.FINDING_INFO)
    assert {r["metric"][m.FINDING_ID] for r in found} == {rec.id for rec in REPORT.recommendations}
    slow = prometheus.query(f'{m.FINDING_INFO}{{{m.FINDING_FINGERPRINT_ID}="{FP_SLOW}"}}')
    assert [r["metric"][m.FINDING_WORKFLOW] for r in slow] == ["checkout"]


def test_health_scores_are_queryable(prometheus: Prometheus) -> None:
    service = f'{m.HEALTH_SCORE}{{{m.HEALTH_SERVICE}="shop-api"}}'
    workflow = f'{m.HEALTH_SCORE}{{{m.HEALTH_WORKFLOW}="checkout"}}'
    assert prometheus.scalar(service) == 64
    assert prometheus.scalar(workflow) == 38


def test_run_metrics_are_queryable(prometheus: Prometheus) -> None:
    assert prometheus.scalar(f'{m.ANALYSIS_RUNS}{{{m.ANALYSIS_OUTCOME}="success"}}') == 1
    before, after = RUN_WINDOW
    assert before <= prometheus.scalar(m.ANALYSIS_LAST_SUCCESS) <= after
    assert prometheus.scalar(m.ANALYSIS_COMPLETE) == 1


def test_database_health_is_served_beside_the_findings(prometheus: Prometheus) -> None:
    assert prometheus.scalar(f"{m.DB_THREADS_CONNECTED} / {m.DB_MAX_CONNECTIONS}") == 0.07
    ratio = f'{m.DB_DIGEST_EXAMINED_PER_SENT}{{{m.DB_FINGERPRINT_ID}="{FP_SLOW}"}}'
    assert prometheus.scalar(ratio) == 20_000
    orphans = f'{m.DB_ORPHANED_ROWS}{{{m.DB_TABLE}="shop_review",{m.DB_COLUMN}="product_id"}}'
    assert prometheus.scalar(orphans) == 3


def test_every_dashboard_query_over_analyzer_metrics_returns_data(prometheus: Prometheus) -> None:
    queries = [q for q in dashboard_queries() if any(n in q.expr for n in ANALYZER_METRICS)]
    assert {
        m.FINDING_INFO,
        m.SLOW_QUERY_P95,
        m.REGRESSION_CHANGE_RATIO,
        m.HEALTH_SCORE,
        m.DB_THREADS_CONNECTED,
        m.DB_DIGEST_EXAMINED_PER_SENT,
        m.DB_ORPHANED_ROWS,
    } <= {name for q in queries for name in ANALYZER_METRICS if name in q.expr}
    empty = [
        f"{q.dashboard} / {q.panel}: {q.expr}"
        for q in queries
        if not prometheus.query(expand(q.expr))
    ]
    assert not empty, "no data for:\n" + "\n".join(empty)
