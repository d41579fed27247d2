"""``e2e-otel map``: the frontend-to-Django contract map, from the two scanners (and traffic).

Exit codes: 0 map written; 1 a call has a gated verdict (``--fail-on``, by default
``not_found,method_not_allowed,missing_trailing_slash``); 2 one readable error line (not a
Next.js app, a Django project that cannot be loaded, a missing traces file, Prometheus down,
unwritable output, a bad flag value).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import datetime, timezone
from typing import cast, get_args

from e2e_otel.cli.discover_django import add_project_arguments
from e2e_otel.cli.errors import CommandError, command
from e2e_otel.cli.outputs import write_text
from e2e_otel.contract.models import DEFAULT_GATE, ContractMap, Traffic, Verdict


class MapError(CommandError):
    """Ends the command with exit code 2 and this one-line message."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``map`` on the top-level sub-command set."""
    parser = sub.add_parser(
        "map",
        help="map the Next.js app's API calls to the Django endpoints: 404s, 405s, missing "
        "credentials, endpoints nobody calls, traffic to undeclared routes",
        description="Scan a Next.js app and a Django/DRF project, match every API call to the "
        "endpoint that serves it, and report the mismatches; with --traces/--prometheus, "
        "also the endpoints no request hit and the routes requests hit that discovery does "
        "not know. Without --json/--markdown the Markdown map goes to stdout.",
    )
    parser.add_argument("--nextjs", required=True, metavar="PATH", help="the Next.js app")
    parser.add_argument(
        "--django-settings", required=True, metavar="MODULE", help="Django settings module"
    )
    add_project_arguments(parser)
    parser.add_argument(
        "--api-base",
        action="append",
        default=[],
        metavar="ENV_OR_ORIGIN",
        help="a base URL that is the Django API: an environment variable (NEXT_PUBLIC_API_URL) "
        "or an origin (repeatable; default: every base is)",
    )
    traffic = parser.add_argument_group("traffic (optional)")
    traffic.add_argument(
        "--traces", nargs="+", default=[], metavar="FILE", help="OTLP JSON trace files"
    )
    traffic.add_argument("--prometheus", metavar="URL", help="Prometheus with the span metrics")
    traffic.add_argument("--window", default="1h", help="Prometheus window (default: 1h)")
    traffic.add_argument(
        "--service",
        action="append",
        default=[],
        metavar="NAME",
        help="only requests of this service (repeatable; default: every API service)",
    )
    traffic.add_argument("--config", help="YAML file for the Prometheus token and timeouts")
    out = parser.add_argument_group("output")
    out.add_argument("--json", metavar="PATH", help="write the JSON map here (- = stdout)")
    out.add_argument("--markdown", metavar="PATH", help="write the Markdown map here")
    out.add_argument(
        "--fail-on",
        default=",".join(DEFAULT_GATE),
        metavar="VERDICTS",
        help="exit 1 when a call has one of these comma-separated verdicts "
        f"({', '.join(get_args(Verdict))}; default: %(default)s; '' gates nothing)",
    )
    parser.set_defaults(handler=run)


@command
def run(args: argparse.Namespace) -> int:
    """Scan both sides, read the traffic, write the map; the exit code gates CI."""
    gate = parse_gate(args.fail_on)
    contract = _build(args)
    _write(contract, args)
    gated = contract.gated(gate)
    counts = ", ".join(f"{n} {v}" for v, n in contract.counts().items() if n)
    print(f"e2e-otel: {len(contract.calls)} calls: {counts or 'none'}", file=sys.stderr)
    return 1 if gated else 0


def parse_gate(text: str) -> tuple[Verdict, ...]:
    """``not_found,method_not_allowed`` -> those verdicts; MapError on an unknown one."""
    known = get_args(Verdict)
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise MapError(f"--fail-on: unknown verdict {unknown[0]!r} (one of {', '.join(known)})")
    return tuple(cast(Verdict, name) for name in names)


def _build(args: argparse.Namespace) -> ContractMap:
    from e2e_otel.contract.build import build_map
    from e2e_otel.discovery.django import discover_django
    from e2e_otel.discovery.nextjs import scan

    traffic = _traffic(args)
    app = scan(args.nextjs)
    discovery = discover_django(
        args.django_settings, pythonpath=args.pythonpath or ["."], python=args.python
    )
    for warning in (*map(str, app.problems), *discovery.warnings):
        print(f"e2e-otel: warning: {warning}", file=sys.stderr)
    return build_map(app, discovery, traffic=traffic, api_bases=args.api_base)


def _traffic(args: argparse.Namespace) -> Traffic | None:
    from e2e_otel.contract.traffic import (
        TrafficError,
        merge_traffic,
        traffic_from_files,
        traffic_from_prometheus,
    )

    parts: list[Traffic] = []
    try:
        if args.traces:
            parts.append(traffic_from_files(args.traces, args.service))
    except TrafficError as exc:
        raise MapError(str(exc)) from None
    if args.prometheus:
        from e2e_otel.config import load_config
        from e2e_otel.durations import parse_duration
        from e2e_otel.sources.prometheus import PrometheusClient

        try:
            window = parse_duration(args.window)
        except ValueError as exc:
            raise MapError(f"--window: {exc}") from None
        config = load_config(args.config)
        backends = config.backends
        prometheus = replace(backends.prometheus, url=args.prometheus)
        config = replace(config, backends=replace(backends, prometheus=prometheus))
        client = PrometheusClient.from_config(config)
        try:
            now = datetime.now(timezone.utc)
            parts.append(
                traffic_from_prometheus(client, window=window, now=now, services=args.service)
            )
        finally:
            client.http.close()
    for part in parts:
        for problem in part.problems:
            print(f"e2e-otel: warning: {problem}", file=sys.stderr)
    return merge_traffic(parts) if parts else None


def _write(contract: ContractMap, args: argparse.Namespace) -> None:
    from e2e_otel.contract.report import to_json, to_markdown

    if args.json == "-":
        sys.stdout.write(to_json(contract))
    elif args.json:
        write_text(args.json, to_json(contract))
    if args.markdown:
        write_text(args.markdown, to_markdown(contract))
    if not args.json and not args.markdown:
        sys.stdout.write(to_markdown(contract))
