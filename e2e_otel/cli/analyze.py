"""``e2e-otel analyze``: OTLP JSON files or the backends (Prometheus, Tempo) in, a report out;
once, or as a service (``--every 5m --serve 127.0.0.1:9464``).

Exit codes: 0 report written (bad lines of a file are warnings, and problems of the report);
1 ``--fail-on`` matched (CI gating); 2 one readable error line (bad config or flags, an input
path that is missing, unreadable or a FIFO, a directory with no trace file, backend down after
its retries, nothing to analyze, unwritable output, Grafana refusing the annotations); 130
interrupted. A directory stands for its trace files.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from e2e_otel.analyzers.models import PRIORITY_ORDER, Report
from e2e_otel.cli.errors import command
from e2e_otel.cli.outputs import write_reports
from e2e_otel.cli.plan import AnalyzeError, Plan, plan_from_args
from e2e_otel.environment_variables import E2E_OTEL_DB_DSN

if TYPE_CHECKING:
    from prometheus_client.registry import Collector

#: How :func:`e2e_otel.analyzers.run.analyze_files` names its source in the report.
FILE_SOURCE = "otlp-files:"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "analyze",
        help="analyze traces (OTLP JSON files, or Prometheus + Tempo): slow queries, N+1, "
        "regressions, errors, recommendations",
        description="Analyze OTLP JSON trace files (as written by E2E_OTEL_TRACES_FILE or the "
        "collector's file exporter), or the span metrics in Prometheus and the traces in Tempo, "
        "and write the report. Without --json/--markdown/--html the Markdown report goes to "
        "stdout. With --every it runs as a service serving the findings as e2e_otel_* metrics.",
    )
    parser.add_argument(
        "files", nargs="*", help="OTLP JSON files, or directories of them (.json, .jsonl, .gz)"
    )
    parser.add_argument("--config", help="YAML file (default: $E2E_OTEL_CONFIG, else defaults)")
    source = parser.add_argument_group("backends (instead of files)")
    source.add_argument("--prometheus", metavar="URL", help="Prometheus with the span metrics")
    source.add_argument("--tempo", metavar="URL", help="Tempo with the traces")
    source.add_argument(
        "--backends",
        action="store_true",
        help="both backends at the URLs of the configuration's `backends` section",
    )
    source.add_argument(
        "--window", help="backends: how far back to analyze, e.g. 15m, 1h (default: 1h)"
    )
    source.add_argument(
        "--baseline",
        help="backends: history before the window the regression series compare with "
        "(default: 24h)",
    )
    source.add_argument(
        "--max-traces",
        type=int,
        default=500,
        help="traces fetched from Tempo per run (default: 500)",
    )
    source.add_argument(
        "--time-limit",
        metavar="DURATION",
        help="give up a run on the backends after this long, e.g. 10m (default: the --every "
        "period in service mode, else 30m)",
    )
    out = parser.add_argument_group("output")
    out.add_argument("--json", metavar="PATH", help="write the JSON report here (- = stdout)")
    out.add_argument("--markdown", metavar="PATH", help="write the Markdown report here")
    out.add_argument("--html", metavar="PATH", help="write the HTML report here")
    out.add_argument(
        "--fail-on",
        choices=("high", "medium", "low"),
        help="exit 1 when a recommendation of this priority or higher is found",
    )
    out.add_argument("--quiet", action="store_true", help="no progress or summary on stderr")
    database = parser.add_argument_group("database health (see docs/db-health.md)")
    database.add_argument(
        "--db-dsn",
        metavar="DSN",
        default=os.environ.get(E2E_OTEL_DB_DSN) or None,
        help="also check this MySQL/MariaDB each run (mysql://user:pass@host:port/db): "
        "missing-index findings join the report, figures are served in service mode "
        f"(default: ${E2E_OTEL_DB_DSN})",
    )
    database.add_argument(
        "--db-password-env", metavar="VAR", help="read the database password from this variable"
    )
    database.add_argument(
        "--db-django-settings",
        metavar="MODULE",
        help="the Django project's settings: adds unapplied migrations and orphaned rows",
    )
    database.add_argument(
        "--db-pythonpath",
        metavar="DIR",
        action="append",
        help="directory the Django project imports from (repeatable; default: .)",
    )
    service = parser.add_argument_group("service mode")
    service.add_argument(
        "--every", metavar="DURATION", help="analyze again every DURATION (e.g. 5m) until stopped"
    )
    service.add_argument(
        "--serve",
        metavar="HOST:PORT",
        help="with --every: serve the findings on http://HOST:PORT/metrics "
        "(default: 127.0.0.1:9464)",
    )
    parser.set_defaults(handler=run)


@command
def run(args: argparse.Namespace) -> int:
    plan = plan_from_args(args, progress=_progress_bar)
    collectors: list[Collector] = []
    if args.db_dsn:
        plan, collector = _with_db_check(plan, args)
        collectors.append(collector)
    if plan.every is not None:
        return _serve(plan, args, collectors)
    report = plan.analyze()
    _publish(report, args)
    _annotate(plan, report, quiet=args.quiet)
    if not args.quiet:
        for problem in report.problems:
            print(f"e2e-otel: warning: {problem}", file=sys.stderr)
        print(verdict(report), file=sys.stderr)
    if args.fail_on and _fails(report, args.fail_on):
        return 1
    return 0


def _with_db_check(plan: Plan, args: argparse.Namespace) -> tuple[Plan, Collector]:
    from dataclasses import replace

    from e2e_otel.cli.dbcheck import DbCheck

    check = DbCheck.from_flags(
        args.db_dsn,
        args.db_password_env,
        service=plan.every is not None,
        django_settings=args.db_django_settings,
        pythonpath=tuple(args.db_pythonpath or ()),
    )
    analyze = plan.analyze
    return replace(plan, analyze=lambda: check.add_to(analyze())), check.collector


def _serve(plan: Plan, args: argparse.Namespace, collectors: Sequence[Collector]) -> int:
    from e2e_otel.service import run_service

    assert plan.every is not None and plan.listen is not None
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s e2e-otel: %(message)s",
        stream=sys.stderr,
    )
    every = plan.every
    told: set[str] = set()

    def listening(host: str, port: int) -> None:
        shown = f"[{host}]" if ":" in host else host
        logging.getLogger("e2e_otel").info(
            "serving http://%s:%d/metrics, analyzing %s every %s", shown, port, plan.source, every
        )

    def on_report(report: Report) -> None:
        if any((args.json, args.markdown, args.html)):
            _publish(report, args)
        _annotate(plan, report, quiet=args.quiet, told=told)
        logging.getLogger("e2e_otel").info("%s", verdict(report).removeprefix("e2e-otel: "))

    host, port = plan.listen
    run_service(
        plan.analyze,
        every,
        host,
        port,
        on_report=on_report,
        on_listening=listening,
        collectors=collectors,
    )
    return 0


def _annotate(plan: Plan, report: Report, quiet: bool, told: set[str] | None = None) -> None:
    """Regression findings as Grafana annotations when a token is configured (see
    docs/service.md); without one, say so only for the backends (not for files) when there was
    something to annotate, and only once per note in ``told`` (a service's runs share it)."""
    from e2e_otel.analyzers.series import REGRESSION_RULES

    if not any(r.rule in REGRESSION_RULES for r in report.recommendations):
        return
    from e2e_otel.publish.grafana import AnnotationPublisher, GrafanaError, GrafanaNotConfigured

    publisher = AnnotationPublisher.from_config(plan.config)
    if isinstance(publisher, GrafanaNotConfigured):
        if report.source.startswith(FILE_SOURCE):
            return  # annotations mark a live dashboard: not asked for when reading files
        note = f"e2e-otel: note: {publisher}"
        if not quiet and (told is None or note not in told):
            print(note, file=sys.stderr)
            if told is not None:
                told.add(note)
        return
    try:
        counts = publisher.publish(report)
    except GrafanaError as exc:
        raise AnalyzeError(str(exc)) from exc
    finally:
        publisher.close()
    if not quiet:
        print(
            f"e2e-otel: Grafana annotations at {publisher.url}: {counts.created} created, "
            f"{counts.updated} updated, {counts.unchanged} unchanged",
            file=sys.stderr,
        )


def _progress_bar() -> Callable[[int, int], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        share = done / total if total else 1.0
        filled = int(share * 30)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\ranalyzing [{'#' * filled}{'.' * (30 - filled)}] {share:4.0%}{end}")
        sys.stderr.flush()

    return show


def _publish(report: Report, args: argparse.Namespace) -> None:
    targets = {
        name: path
        for name, path in (("json", args.json), ("markdown", args.markdown), ("html", args.html))
        if path
    }
    if targets:
        write_reports(report, targets)
    else:
        from e2e_otel.publish import render_markdown

        sys.stdout.write(render_markdown(report))


def _fails(report: Report, level: str) -> bool:
    limit = PRIORITY_ORDER[level]
    return any(PRIORITY_ORDER[r.priority] <= limit for r in report.recommendations)


def verdict(report: Report) -> str:
    """One line: spans, traces, complete or not, findings by priority (stderr, demo output)."""
    counts = {p: 0 for p in PRIORITY_ORDER}
    for recommendation in report.recommendations:
        counts[recommendation.priority] += 1
    state = "complete" if report.complete else f"INCOMPLETE ({len(report.problems)} problems)"
    found = ", ".join(f"{n} {p}" for p, n in counts.items())
    if any(section.name == "backends" for section in report.sections):
        # Prometheus counts requests, not spans: say where the report came from instead.
        read = f"{report.source}, {report.traces} traces read"
    else:
        read = f"{report.spans} spans in {report.traces} traces"
    return f"e2e-otel: {read}, {state}; findings: {found}"
