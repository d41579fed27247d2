"""``db health`` against a real MariaDB with performance_schema ON and planted problems."""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from e2e_otel import metrics as names
from e2e_otel.analyzers.models import finding_id
from e2e_otel.cli import db as cli_db
from e2e_otel.dbhealth.connection import parse_dsn
from e2e_otel.dbhealth.digests import RULE
from e2e_otel.dbhealth.models import HealthReport
from e2e_otel.dbhealth.probe import HealthOptions, check_health
from e2e_otel.sql.fingerprint import fingerprint_id
from tests.dbhealth.conftest import (
    ORPHAN_NOTES,
    ORPHAN_REVIEWS,
    PROJECT,
    REPORT_RUNS,
    SETTINGS,
    Planted,
)
from tests.integration.services import SHOP, MariaDB

WRONG_PASSWORD = "not-the-password-42"


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    cli_db.add_parser(parser.add_subparsers(dest="command"))
    return cli_db.run(parser.parse_args(list(argv)))


@pytest.fixture(scope="module")
def full(planted: Planted, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """The CLI run with Django settings: its JSON report and its metrics file."""
    out = tmp_path_factory.mktemp("health")
    code = run_cli(
        *("db", "health", "--dsn", planted.dsn(), "--top", "500"),
        *("--django-settings", SETTINGS, "--pythonpath", str(PROJECT)),
        *("--pythonpath", str(SHOP), "--json", str(out / "health.json")),
        *("--metrics", str(out / "health.prom")),
    )
    assert code == 0
    return json.loads((out / "health.json").read_text()), (out / "health.prom").read_text()


def test_figures_equal_show_global_status(planted: Planted) -> None:
    with planted.server.root() as held, held.cursor() as cursor:
        cursor.execute("SHOW GLOBAL STATUS LIKE 'Threads_connected'")
        ((_, before),) = cursor.fetchall()
        report = check_health(parse_dsn(planted.dsn()), HealthOptions())
        cursor.execute(
            "SHOW GLOBAL STATUS WHERE Variable_name IN ('Max_used_connections', 'Aborted_connects')"
        )
        status = {name: int(value) for name, value in cursor.fetchall()}
        cursor.execute("SELECT @@max_connections")
        ((max_connections,),) = cursor.fetchall()
    assert report.connected and report.status is not None
    assert report.status.threads_connected == int(before) + 1  # the check's own connection
    assert report.status.max_connections == max_connections == 60
    assert report.status.max_used_connections == status["Max_used_connections"]
    assert report.status.aborted_connects == status["Aborted_connects"]
    assert report.status.performance_schema and report.status.flavor == "mariadb"


def test_unindexed_filter_joins_our_fingerprint_and_names_the_column(planted: Planted) -> None:
    report = check_health(parse_dsn(planted.dsn()), HealthOptions(top=500))
    assert report.digests is not None and report.digests.available
    by_id = {d.fingerprint_id: d for d in report.digests.digests}
    # The digest of the statement Django sent carries the fingerprint id its spans carry.
    scan = by_id[fingerprint_id(planted.report_sql)]
    assert scan.calls == REPORT_RUNS
    assert scan.no_index_used == REPORT_RUNS
    assert scan.rows_examined >= REPORT_RUNS * 3000  # every run read the whole table
    assert scan.rows_examined > 10 * scan.rows_sent
    assert fingerprint_id(planted.in_list_sql) in by_id  # IN (...) folds like in(?+)
    (finding,) = [
        r for r in report.recommendations if r.evidence.fingerprint_id == scan.fingerprint_id
    ]
    assert finding.id == finding_id(RULE, scan.fingerprint_id)
    assert (finding.rule, finding.category) == (RULE, "database")
    assert "shop_pageview.referrer" in finding.title
    assert any("CREATE INDEX" in step and "referrer" in step for step in finding.steps)
    assert finding.evidence.figures["rows_examined"] == scan.rows_examined
    # Indexed lookups are not findings.
    assert not [r for r in report.recommendations if "shop_product.id" in r.title]


def test_schema_changes_are_not_among_the_statements(planted: Planted) -> None:
    planted.server.sql(
        "USE shop",
        "CREATE TABLE ddl_probe (id INT, SLEEPY INT)",
        "ALTER TABLE ddl_probe ADD COLUMN note VARCHAR(10)",
        "DROP TABLE ddl_probe",
        "SELECT COUNT(*) FROM shop_product WHERE 1 = 1",  # an ordinary statement, for contrast
    )
    report = check_health(parse_dsn(planted.dsn()), HealthOptions(top=500))
    assert report.digests is not None
    texts = [d.digest_text for d in report.digests.digests]
    assert any("COUNT" in t and "`shop_product`" in t for t in texts)
    assert not [t for t in texts if t.lstrip().upper().startswith(("CREATE", "ALTER", "DROP"))]


def test_migration_status_and_orphans(full: tuple[dict[str, Any], str]) -> None:
    data, _ = full
    migrations = data["migrations"]
    assert migrations["unapplied"] == [{"app": "drift", "name": "0002_note_flag"}]
    assert migrations["changes"] == [{"app": "drift", "description": "Add field colour to note"}]
    counted = {
        (o["relation"]["table"], o["relation"]["column"]): (o["orphaned_rows"], o["reason"])
        for o in data["orphans"]
    }
    assert counted == {
        ("drift_note", "product_id"): (ORPHAN_NOTES, "db_constraint=False"),
        ("shop_review", "product_id"): (
            ORPHAN_REVIEWS,
            "no FOREIGN KEY constraint in the database",
        ),
    }  # relations with an enforced FOREIGN KEY are not scanned
    assert data["problems"] == []
    assert data["dsn"].startswith("mysql://shop:***@")  # the password stays out of reports


def test_metrics_pass_promtool_and_carry_the_findings(
    full: tuple[dict[str, Any], str], planted: Planted
) -> None:
    _, text = full
    checked = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout + checked.stderr == ""  # no lint remarks either
    assert f"{names.DB_CONNECTED} 1.0" in text
    assert f"{names.DB_MAX_CONNECTIONS} 60.0" in text
    assert f"{names.DB_UNAPPLIED_MIGRATIONS} 1.0" in text
    assert f"{names.DB_MODEL_CHANGES_WITHOUT_MIGRATION} 1.0" in text
    assert f'{names.DB_ORPHANED_ROWS}{{column="product_id",table="drift_note"}} 3.0' in text
    assert f"{names.DB_ABORTED_CONNECTS_TOTAL} " in text
    ratio = f'{names.DB_DIGEST_EXAMINED_PER_SENT}{{fingerprint_id="{fingerprint_id(planted.report_sql)}"}}'
    assert ratio in text
    exposed = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"}
    assert exposed == names.DB_METRIC_NAMES


def test_wrong_password_is_one_line_exit_2_and_never_echoed(
    planted: Planted, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = planted.dsn(WRONG_PASSWORD)
    code = run_cli(
        *("db", "health", "--dsn", dsn, "--json", str(tmp_path / "h.json")),
        *("--metrics", str(tmp_path / "h.prom")),
    )
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(
        f"e2e-otel: error: cannot connect to mysql://shop:***@127.0.0.1:{planted.server.port}/shop: "
        "(1045) Access denied for user 'shop'@"
    )
    written = (tmp_path / "h.json").read_text() + (tmp_path / "h.prom").read_text()
    assert WRONG_PASSWORD not in captured.err + written
    assert json.loads((tmp_path / "h.json").read_text())["connected"] is False
    assert f"{names.DB_CONNECTED} 0.0" in written


def test_performance_schema_off_says_how_to_enable_it(mariadb: MariaDB) -> None:
    # The shared server of the other tests (scripts/mariadb.sh) runs with it OFF.
    report: HealthReport = check_health(
        parse_dsn(f"mysql://shop:shop@127.0.0.1:{mariadb.port}/shop"), HealthOptions()
    )
    assert report.connected and report.status is not None
    assert not report.status.performance_schema
    assert report.digests is not None and not report.digests.available
    assert "performance_schema is OFF" in report.digests.note
    assert "performance_schema=ON" in report.digests.note
    assert report.recommendations == ()
