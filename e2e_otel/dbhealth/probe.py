"""Run every ``db health`` check against one database and gather the report.

A check that fails (lost connection, no privilege, a Django project that does not load)
becomes a line in ``HealthReport.problems``; only a refused connection ends the run early.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import pymysql

from e2e_otel.analyzers.models import Recommendation
from e2e_otel.dbhealth.connection import ConnectError, DbHealthError, Dsn, connect, error_parts
from e2e_otel.dbhealth.digests import read_digests, read_indexed_columns, recommend
from e2e_otel.dbhealth.migrations import django_facts
from e2e_otel.dbhealth.models import HealthReport, OrphanCheck
from e2e_otel.dbhealth.orphans import DEFAULT_LIMIT, count_orphans, unenforced
from e2e_otel.dbhealth.status import read_status


@dataclass(frozen=True)
class HealthOptions:
    """What to check besides the server figures."""

    django_settings: str | None = None  # enables migration status and orphaned rows
    pythonpath: tuple[str, ...] = ()  # where the Django project imports from
    python: str = sys.executable  # the project's interpreter
    top: int = 50  # statement digests read, by total latency
    orphan_limit: int = DEFAULT_LIMIT  # each orphan count stops here


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def check_health(
    dsn: Dsn, options: HealthOptions, now: Callable[[], datetime] = _utcnow
) -> HealthReport:
    """Connect, read status and digests, and (with Django settings) migrations and orphans."""
    started = now()
    try:
        conn = connect(dsn)
    except ConnectError as exc:
        return HealthReport(dsn.redacted(), started, connected=False, error=exc.reason)
    problems: list[str] = []
    with conn:
        try:
            status = read_status(conn)
        except pymysql.err.MySQLError as exc:
            problem = f"server status unreadable: {dsn.scrub(error_parts(exc)[1])}"
            return HealthReport(dsn.redacted(), started, True, problems=(problem,))
        digests = read_digests(conn, status, dsn.database, options.top)
        recommendations: tuple[Recommendation, ...] = ()
        if digests.available:
            indexed = read_indexed_columns(conn, dsn.database)
            recommendations = recommend(digests.digests, indexed)
        migrations, orphans = None, tuple[OrphanCheck, ...]()
        if options.django_settings:
            try:
                migrations, relations = django_facts(
                    options.django_settings,
                    dsn,
                    pythonpath=options.pythonpath,
                    python=options.python,
                )
                mariadb, limit = status.flavor == "mariadb", options.orphan_limit
                orphans = tuple(
                    count_orphans(conn, relation, reason, mariadb=mariadb, limit=limit)
                    for relation, reason in unenforced(conn, dsn.database, relations)
                )
            except (DbHealthError, pymysql.err.MySQLError) as exc:
                problems.append(dsn.scrub(str(exc)))
    return HealthReport(
        dsn=dsn.redacted(),
        generated_at=started,
        connected=True,
        status=status,
        digests=digests,
        recommendations=tuple(sorted(recommendations, key=lambda r: r.sort_key())),
        migrations=migrations,
        orphans=orphans,
        problems=tuple(problems),
    )
