"""``e2e-otel analyze --db-dsn``: check a database's health with each analysis run.

The check's missing-index recommendations join the report's findings (same shape, stable
ids); in service mode its figures are served as ``e2e_otel_db_*`` metrics beside the findings.
A database that cannot be reached ends a one-shot run with exit 2; a service logs it and
serves ``e2e_otel_db_connected 0`` instead, so one bad minute does not cost the findings. Either
way a check that could not be done completely (unreachable, status unreadable, the Django
facts failing) makes the report incomplete, with what failed in its problems.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace

from e2e_otel.analyzers.models import Recommendation, Report
from e2e_otel.cli.plan import AnalyzeError
from e2e_otel.dbhealth.connection import DbHealthError, Dsn, parse_dsn
from e2e_otel.dbhealth.metrics import DbHealthCollector
from e2e_otel.dbhealth.models import HealthReport
from e2e_otel.dbhealth.probe import HealthOptions, check_health

log = logging.getLogger("e2e_otel")


@dataclass
class DbCheck:
    """The database to check each run, and the latest result (served by :attr:`collector`)."""

    dsn: Dsn
    service: bool  # service mode: an unreachable database is logged, not an error
    options: HealthOptions = field(default_factory=HealthOptions)
    latest: HealthReport | None = field(default=None, init=False)

    @classmethod
    def from_flags(
        cls,
        dsn: str,
        password_env: str | None,
        service: bool,
        django_settings: str | None = None,
        pythonpath: tuple[str, ...] = (),
    ) -> DbCheck:
        try:
            parsed = parse_dsn(dsn, "--db-dsn", "--db-password-env")
        except DbHealthError as exc:
            raise AnalyzeError(str(exc)) from exc
        if password_env:
            if password_env not in os.environ:
                raise AnalyzeError(f"--db-password-env: ${password_env} is not set")
            parsed = replace(parsed, password=os.environ[password_env])
        options = HealthOptions(
            django_settings=django_settings,
            pythonpath=pythonpath or ((".",) if django_settings else ()),
        )
        return cls(parsed, service, options)

    @property
    def collector(self) -> DbHealthCollector:
        return DbHealthCollector(lambda: self.latest)

    def add_to(self, report: Report) -> Report:
        """Check the database and add its recommendations to ``report``."""
        health = check_health(self.dsn, self.options)
        self.latest = health
        problems = [f"database health: {problem}" for problem in health.problems]
        if not health.connected:
            message = f"database {health.dsn}: {health.error}"
            if not self.service:
                raise AnalyzeError(message)
            log.warning("database health check failed: %s", message)
            problems.insert(0, f"database health check failed: {message}")
        for problem in health.problems:
            log.warning("database health: %s", problem)
        merged = merge(report, health.recommendations)
        if not problems:
            return merged
        return replace(merged, problems=(*merged.problems, *problems), complete=False)


def merge(report: Report, extra: tuple[Recommendation, ...]) -> Report:
    """``report`` with ``extra`` findings whose ids it does not have yet, in report order."""
    known = {r.id for r in report.recommendations}
    added = [r for r in extra if r.id not in known]
    if not added:
        return report
    ordered = sorted((*report.recommendations, *added), key=Recommendation.sort_key)
    return replace(report, recommendations=tuple(ordered))
