"""``e2e-otel db health``: check a MySQL/MariaDB database (see docs/db-health.md).

Exit codes: 0 report produced; 2 one readable error line (bad --dsn, connection refused,
unwritable output). The DSN is printed without its password; error text is scrubbed of it
(see :meth:`e2e_otel.dbhealth.connection.Dsn.scrub` for the passwords left alone).
"""

from __future__ import annotations

import argparse
import os
import sys

from e2e_otel.cli.discover_django import add_project_arguments
from e2e_otel.cli.errors import CommandError, command
from e2e_otel.cli.outputs import write_text


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``db`` (with its ``health`` check) under the top-level subparsers."""
    db = sub.add_parser("db", help="database checks (health)")
    checks = db.add_subparsers(dest="db_command", metavar="CHECK", required=True)
    health = checks.add_parser(
        "health",
        help="connections, statement digests, missing indexes, migrations, orphaned rows",
        description="Check a MySQL/MariaDB database: connection figures, the costliest "
        "statement shapes from performance_schema joined to e2e-otel fingerprints with "
        "missing-index recommendations, and with --django-settings the migration status "
        "and orphaned rows on relations the database does not enforce.",
    )
    health.add_argument("--dsn", required=True, help="mysql://user:pass@host:port/db")
    health.add_argument(
        "--password-env",
        metavar="VAR",
        help="read the password from this environment variable (keeps it out of --dsn)",
    )
    health.add_argument("--django-settings", metavar="MODULE", help="the project's settings")
    add_project_arguments(health)
    health.add_argument("--top", type=int, default=50, help="statement digests to read")
    health.add_argument(
        "--json",
        metavar="PATH",
        help="write the JSON report here (- = stdout, instead of the text)",
    )
    health.add_argument(
        "--metrics", metavar="PATH", help="write Prometheus metrics here (textfile format)"
    )
    db.set_defaults(handler=run)


@command
def run(args: argparse.Namespace) -> int:
    """Run the check, print the text report, write the requested files."""
    from dataclasses import replace

    from e2e_otel.dbhealth.connection import DbHealthError, parse_dsn
    from e2e_otel.dbhealth.probe import HealthOptions, check_health
    from e2e_otel.dbhealth.report import render_json, render_text

    dsn = parse_dsn(args.dsn)
    if args.password_env:
        if args.password_env not in os.environ:
            raise DbHealthError(f"--password-env: ${args.password_env} is not set")
        dsn = replace(dsn, password=os.environ[args.password_env])
    options = HealthOptions(
        django_settings=args.django_settings,
        pythonpath=tuple(args.pythonpath or (["."] if args.django_settings else [])),
        python=args.python,
        top=args.top,
    )
    report = check_health(dsn, options)
    if args.json:
        write_text(args.json, render_json(report))
    if args.metrics:
        from e2e_otel.dbhealth.metrics import render_metrics

        write_text(args.metrics, render_metrics(report))
    if not report.connected:
        raise CommandError(f"cannot connect to {report.dsn}: {report.error}")
    if args.json != "-":
        sys.stdout.write(render_text(report))
    return 0
