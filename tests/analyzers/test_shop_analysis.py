"""The analyzers on real spans: the demo shop on real MariaDB, traced under
``opentelemetry-instrument`` into an OTLP JSON file and driven by its traffic generator, must
show the three planted problems."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from e2e_otel.analyzers.models import Recommendation, Report
from e2e_otel.analyzers.run import analyze_files
from e2e_otel.config import parse_config
from tests.analyzers.conftest import NOW
from tests.integration.services import SHOP, MariaDB, ShopServer, clean_env

pytestmark = pytest.mark.integration

# The session database holds 20k page views (not 400k as in the demo), so the report scan takes
# a few ms, and the N+1 loop of 20 fast queries totals well under Sentry's 50 ms: the test lowers
# both thresholds instead of seeding for minutes. What is tested is that the analyzers find the
# problems in real spans, not how slow this machine is.
CONFIG = parse_config(
    {
        "thresholds": {"database": {"warning_ms": 1, "critical_ms": 200}},
        "analyzers": {"n_plus_one": {"min_total_ms": 1}},
    }
)


@pytest.fixture(scope="module")
def report(shop_db: MariaDB, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Report]:
    traces = tmp_path_factory.mktemp("shop-analysis") / "traces.jsonl"
    server = ShopServer(shop_db, "instrument", traces)
    server.start()
    try:
        traffic = subprocess.run(
            [sys.executable, "traffic.py", "--base-url", server.base_url, "--iterations", "2"],
            cwd=SHOP,
            env=clean_env({}),
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        log = server.stop()
    assert traffic.returncode == 0, traffic.stdout + traffic.stderr + log[-2000:]
    yield analyze_files([traces], CONFIG, NOW)


def _rule(report: Report, rule: str) -> list[Recommendation]:
    return [r for r in report.recommendations if r.rule == rule]


def test_the_report_is_complete(report: Report) -> None:
    assert report.complete, report.problems
    assert report.spans > 100 and report.traces > 20


def test_names_the_n_plus_one_endpoint(report: Report) -> None:
    routes = {r.evidence.route for r in _rule(report, "n_plus_one")}
    assert "api/products/with-reviews/" in routes, [r.title for r in _rule(report, "n_plus_one")]
    (loop,) = [
        r for r in _rule(report, "n_plus_one") if r.evidence.route == "api/products/with-reviews/"
    ]
    assert "shop_review" in (loop.evidence.fingerprint or "")
    assert loop.evidence.figures["avg_repeats"] >= 10


def test_names_the_unindexed_page_view_query_with_an_index_on_referrer(report: Report) -> None:
    scans = [
        r
        for r in _rule(report, "slow_queries")
        if "shop_pageview" in (r.evidence.fingerprint or "")
    ]
    assert scans, [r.title for r in _rule(report, "slow_queries")]
    (scan,) = scans
    assert scan.evidence.route == "api/reports/pageviews/"
    assert any("shop_pageview.referrer" in step and "CREATE INDEX" in step for step in scan.steps)


def test_names_the_integrity_error_hotspot(report: Report) -> None:
    hotspots = [
        r
        for r in _rule(report, "error_hotspot")
        if r.evidence.route == "api/products/duplicate-sku/" and "db_integrity" in r.title
    ]
    assert len(hotspots) == 1, [r.title for r in _rule(report, "error_hotspot")]
    (hotspot,) = hotspots
    assert hotspot.category == "database" and hotspot.priority == "high"
    assert "shop_product" in (hotspot.evidence.fingerprint or "")
    assert hotspot.evidence.figures["rate_pct"] == 100.0
