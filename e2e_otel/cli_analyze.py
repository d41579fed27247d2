"""``e2e-otel analyze``: OTLP JSON files in, a report out (the embedded default, no servers).

Exit codes: 0 report written; 1 ``--fail-on`` matched (CI gating); 2 one readable error line
(bad config, unreadable input, nothing to analyze, unwritable output).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from e2e_otel.analyzers.models import PRIORITY_ORDER, Report
from e2e_otel.config import load_config
from e2e_otel.outputs import OutputError, write_reports


class AnalyzeError(Exception):
    """Ends the command with exit code 2 and this one-line message."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "analyze",
        help="analyze OTLP JSON trace files: slow queries, N+1, errors, recommendations",
        description="Analyze OTLP JSON trace files (as written by E2E_OTEL_TRACES_FILE or the "
        "collector's file exporter) and write the report. Without --json/--markdown/--html "
        "the Markdown report goes to stdout.",
    )
    parser.add_argument("files", nargs="+", help="OTLP JSON lines files")
    parser.add_argument("--config", help="YAML file (default: $E2E_OTEL_CONFIG, else defaults)")
    parser.add_argument("--json", metavar="PATH", help="write the JSON report here")
    parser.add_argument("--markdown", metavar="PATH", help="write the Markdown report here")
    parser.add_argument("--html", metavar="PATH", help="write the HTML report here")
    parser.add_argument(
        "--fail-on",
        choices=("high", "medium", "low"),
        help="exit 1 when a recommendation of this priority or higher is found",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress or summary on stderr")


def run(args: argparse.Namespace) -> int:
    try:
        report = _analyze(args.files, args.config, quiet=args.quiet)
        _publish(report, args)
    except (AnalyzeError, OutputError) as exc:
        print(f"e2e-otel: error: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        for problem in report.problems:
            print(f"e2e-otel: warning: {problem}", file=sys.stderr)
        print(verdict(report), file=sys.stderr)
    if args.fail_on and _fails(report, args.fail_on):
        return 1
    return 0


def _analyze(files: Sequence[str], config_path: str | None, quiet: bool) -> Report:
    from e2e_otel.analyzers.run import analyze_files

    missing = [f for f in files if not Path(f).is_file()]
    if missing:
        raise AnalyzeError(f"no such file: {missing[0]}")
    config = load_config(config_path)
    progress = None if quiet or not sys.stderr.isatty() else _progress_bar()
    report = analyze_files(files, config, datetime.now(timezone.utc), progress=progress)
    if progress is not None:
        print(file=sys.stderr)
    if report.spans == 0:
        detail = f" ({report.problems[0]})" if report.problems else ""
        raise AnalyzeError(f"no spans found in {', '.join(files)}{detail}")
    return report


def _progress_bar() -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        share = done / total if total else 1.0
        filled = int(share * 30)
        sys.stderr.write(f"\ranalyzing [{'#' * filled}{'.' * (30 - filled)}] {share:4.0%}")
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
    return f"e2e-otel: {report.spans} spans in {report.traces} traces, {state}; findings: {found}"
