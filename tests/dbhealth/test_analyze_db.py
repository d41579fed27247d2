"""`e2e-otel analyze --db-dsn`: the database's missing-index findings join the trace report,
against the real MariaDB (performance_schema ON) with the planted unindexed filter."""

from __future__ import annotations

import json
from pathlib import Path

from e2e_otel.analyzers.models import finding_id
from e2e_otel.dbhealth.digests import RULE
from e2e_otel.sql.fingerprint import fingerprint_id
from tests.dbhealth.conftest import Planted
from tests.test_cli_analyze import _cli, _write_traces


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
