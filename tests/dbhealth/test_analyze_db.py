"""`e2e-otel analyze --db-dsn`: the database's missing-index findings join the trace report,
against the real MariaDB (performance_schema ON) with the planted unindexed filter."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from e2e_otel import metrics as m
from e2e_otel.analyzers.models import finding_id
from e2e_otel.dbhealth.digests import RULE
from e2e_otel.sql.fingerprint import fingerprint_id
from tests.dbhealth.conftest import PROJECT, SETTINGS, Planted
from tests.integration.services import SHOP, free_port
from tests.stack.conftest import eventually
from tests.test_cli_analyze import _cli, _write_traces


def scrape(port: int) -> str | None:
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
    except httpx.HTTPError:
        return None
    return response.text if response.status_code == 200 else None


def _served(port: int, line: str) -> str | None:
    text = scrape(port)
    return text if text and line in text else None


def test_missing_index_findings_join_the_report(planted: Planted, tmp_path: Path) -> None:
    traces = tmp_path / "traces.jsonl"
    _write_traces(traces)
    out = tmp_path / "report.json"
    result = _cli("analyze", traces, "--db-dsn", planted.dsn(), "--json", out, "--quiet")
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    ids = {r["id"] for r in report["recommendations"]}
    assert finding_id(RULE, fingerprint_id(planted.report_sql)) in ids
    # The trace findings are still there: the database adds, it does not replace.
    assert any(r["rule"] != RULE for r in report["recommendations"])


def test_an_unreachable_database_ends_a_one_shot_run_with_one_line(
    planted: Planted, tmp_path: Path
) -> None:
    traces = tmp_path / "traces.jsonl"
    _write_traces(traces)
    wrong = planted.dsn(password="not-the-password-42")
    result = _cli("analyze", traces, "--db-dsn", wrong, "--json", tmp_path / "r.json")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("e2e-otel: error: database "), result.stderr
    assert "not-the-password-42" not in result.stderr


def test_service_mode_serves_the_database_health(planted: Planted, tmp_path: Path) -> None:
    """`analyze --every --serve --db-dsn --db-django-settings`: the database's figures,
    migrations and orphaned rows are served on /metrics beside the findings."""
    traces = tmp_path / "traces.jsonl"
    _write_traces(traces)
    port = free_port()
    exe = Path(sys.executable).parent / "e2e-otel"
    command = [str(exe), "analyze", str(traces), "--every", "1h", "--serve", f"127.0.0.1:{port}"]
    database = ["--db-dsn", planted.dsn(), "--db-django-settings", SETTINGS]
    process = subprocess.Popen(
        [*command, *database, "--db-pythonpath", str(PROJECT), "--db-pythonpath", str(SHOP)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        served = f'{m.ANALYSIS_RUNS}{{outcome="success"}} 1.0'
        text = eventually(lambda: _served(port, served), "the first run served", 120)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "database health:" not in stderr, stderr  # every check ran
    assert f"{m.DB_CONNECTED} 1.0" in text
    assert f"{m.DB_UNAPPLIED_MIGRATIONS} 1.0" in text
    assert f'{m.DB_ORPHANED_ROWS}{{column="product_id",table="drift_note"}} 3.0' in text
    missing_index = finding_id(RULE, fingerprint_id(planted.report_sql))
    assert f'id="{missing_index}"' in text  # the database's finding is a finding like the others
