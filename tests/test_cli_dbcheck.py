"""The database check of `e2e-otel analyze --db-dsn` in service mode: a database it cannot
reach is logged and makes the report incomplete, without ending the run."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from e2e_otel.analyzers.models import Report
from e2e_otel.cli.dbcheck import DbCheck
from e2e_otel.cli.plan import AnalyzeError
from tests.test_cli_service import _free_port


def test_an_unreachable_database_makes_a_service_report_incomplete() -> None:
    port = _free_port()  # nothing listens there
    check = DbCheck.from_flags(f"mysql://shop:pw-1234@127.0.0.1:{port}/shop", None, service=True)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    report = Report(now, "t.jsonl", None, now, spans=1, traces=1, recommendations=(), sections=())
    checked = check.add_to(report)
    assert report.complete and not checked.complete
    (problem,) = checked.problems
    assert problem.startswith(
        f"database health check failed: database mysql://shop:***@127.0.0.1:{port}/shop"
    )
    assert "pw-1234" not in problem
    assert check.latest is not None and not check.latest.connected


def test_dsn_errors_name_the_analyze_options() -> None:
    with pytest.raises(AnalyzeError) as info:
        DbCheck.from_flags("mysql://shop:pa#ss@db:3306/shop", None, service=False)
    message = str(info.value)
    assert message.startswith("--db-dsn: the user or password seems to hold a character")
    assert message.endswith("--db-password-env") and "pa#ss" not in message
