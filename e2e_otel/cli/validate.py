"""``e2e-otel validate``: call a running Django API's discovered endpoints and judge them.

Exit codes: 0 every check passed (warnings allowed unless ``--fail-on warning``); 1 a check
failed (or warned, with ``--fail-on warning``); 2 one error line: a bad configuration or
requests file, a project that cannot be scanned, or nothing answering at ``--base-url``.
Credentials in ``--base-url`` are dropped with a warning (see
:mod:`e2e_otel.validation.runner`).
"""

from __future__ import annotations

import argparse
import sys

from e2e_otel.cli.discover_django import add_project_arguments
from e2e_otel.cli.errors import command
from e2e_otel.sources.redact import without_userinfo


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``validate`` on the top-level sub-command set."""
    parser = sub.add_parser(
        "validate",
        help="call a running Django API's endpoints, check statuses and times, traced",
        description="Discover the project's endpoints, then send safe requests (GET) to every "
        "one whose URL needs no parameters, plus the requests a YAML file lists, each in its "
        "own trace (workflow 'validation'). Statuses and response times are checked against "
        "the expectations and the thresholds.api of the configuration.",
    )
    parser.add_argument("--base-url", required=True, metavar="URL", help="the running API")
    parser.add_argument(
        "--django-settings", required=True, metavar="MODULE", help="the project's settings"
    )
    add_project_arguments(parser)
    parser.add_argument("--requests", metavar="FILE", help="YAML file of test requests and login")
    parser.add_argument("--config", metavar="FILE", help="e2e-otel YAML (thresholds.api)")
    parser.add_argument("--json", metavar="PATH", help="write the report as JSON here (- = stdout)")
    parser.add_argument(
        "--fail-on",
        choices=("fail", "warning"),
        default="fail",
        help="exit 1 on failed checks only, or on warnings too (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, metavar="S", help="seconds per request"
    )
    parser.set_defaults(handler=run)


@command
def run(args: argparse.Namespace) -> int:
    """Validate; print the table (or the JSON with ``--json -``); return the exit code."""
    from e2e_otel.cli.outputs import write_text
    from e2e_otel.config import load_config
    from e2e_otel.discovery.django import discover_django
    from e2e_otel.validation.plan import build_plan
    from e2e_otel.validation.report import render_json, render_table
    from e2e_otel.validation.requests_yaml import load_requests
    from e2e_otel.validation.runner import Runner, probe
    from e2e_otel.validation.tracing import check_tracing

    if without_userinfo(args.base_url) != args.base_url:
        print(
            "e2e-otel: warning: --base-url holds credentials (user:password@): they are neither "
            "sent nor shown; log in through the requests file's auth section",
            file=sys.stderr,
        )
    config = load_config(args.config)
    requests = load_requests(args.requests) if args.requests else None
    probe(args.base_url, timeout_s=args.timeout)
    discovery = discover_django(
        args.django_settings, pythonpath=args.pythonpath or ["."], python=args.python
    )
    plan = build_plan(discovery, requests)
    for warning in discovery.warnings:
        print(f"e2e-otel: warning: {warning}", file=sys.stderr)
    tracing = check_tracing(config)
    try:
        runner = Runner(args.base_url, config.thresholds.api, tracing, timeout_s=args.timeout)
        report = runner.run(plan)
    finally:
        tracing.shutdown()
    if args.json == "-":
        sys.stdout.write(render_json(report))
    else:
        sys.stdout.write(render_table(report))
        if args.json:
            write_text(args.json, render_json(report))
    return report.exit_code(args.fail_on)
