"""What ``e2e-otel analyze`` reads, decided once from its flags: OTLP files, or Prometheus
and/or Tempo (URLs from the flags or the configuration), with the window, the baseline and the
service schedule. Flag mistakes are :class:`AnalyzeError` (one line, exit 2)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from e2e_otel.analyzers.models import Report
from e2e_otel.cli.errors import CommandError
from e2e_otel.config import Config, load_config
from e2e_otel.durations import parse_duration, parse_listen
from e2e_otel.sources.redact import redact_url

DEFAULT_LISTEN = "127.0.0.1:9464"
DEFAULT_LIMIT = timedelta(minutes=30)  # of a one-shot run on the backends
ProgressFactory = Callable[[], Callable[[int, int], None] | None]


class AnalyzeError(CommandError):
    """Ends the command with exit code 2 and this one-line message."""


@dataclass(frozen=True)
class Plan:
    """One analysis, runnable again and again (service mode)."""

    config: Config
    source: str  # for messages: "out/traces.jsonl" or "prometheus http://... (1h window)"
    analyze: Callable[[], Report]
    every: timedelta | None = None
    listen: tuple[str, int] | None = None


def plan_from_args(args: argparse.Namespace, progress: ProgressFactory) -> Plan:
    """The plan the flags ask for; raises AnalyzeError or ConfigError on a bad combination."""
    every, listen = _schedule(args)
    uses_backends = bool(args.prometheus or args.tempo or args.backends)
    if args.files and uses_backends:
        raise AnalyzeError(
            "give OTLP files or backends (--prometheus/--tempo/--backends), not both"
        )
    if not args.files and not uses_backends:
        raise AnalyzeError(
            "nothing to analyze: give OTLP JSON files, --prometheus/--tempo URLs, or --backends "
            "(the URLs of the configuration)"
        )
    config = load_config(args.config)
    if args.files:
        _no_window_for_files(args)
        files: Sequence[str] = args.files
        quiet = bool(args.quiet) or every is not None

        def from_files() -> Report:
            return _analyze_files(files, config, None if quiet else progress())

        return Plan(config, ", ".join(files), from_files, every, listen)
    return _backends_plan(args, config, every, listen)


# The backends' window and baseline when the command line gives none.
WINDOW_DEFAULTS = {"window": "1h", "baseline": "24h"}


def _no_window_for_files(args: argparse.Namespace) -> None:
    """Files are analyzed whole (their own time range is the window): a --window or --baseline
    there would be silently ignored, so it is refused instead."""
    given = [f"--{name}" for name in WINDOW_DEFAULTS if getattr(args, name, None) is not None]
    if given:
        raise AnalyzeError(
            f"{'/'.join(given)} apply to the backends (--prometheus/--tempo/--backends); OTLP "
            "files are analyzed over their whole time range"
        )


def _schedule(args: argparse.Namespace) -> tuple[timedelta | None, tuple[str, int] | None]:
    if args.serve and not args.every:
        raise AnalyzeError("--serve needs --every (service mode)")
    if not args.every:
        return None, None
    if args.fail_on:
        raise AnalyzeError("--fail-on gates one run; it does not go with --every")
    try:
        return parse_duration(args.every), parse_listen(args.serve or DEFAULT_LISTEN)
    except ValueError as exc:
        raise AnalyzeError(f"--every/--serve: {exc}") from exc


def _analyze_files(
    files: Sequence[str], config: Config, progress: Callable[[int, int], None] | None
) -> Report:
    from e2e_otel.analyzers.run import analyze_files
    from e2e_otel.sources.otlp_files import input_files

    try:  # a path that is no file is a mistake in the command: stop at once
        paths = input_files(files)
    except ValueError as exc:
        raise AnalyzeError(str(exc)) from None
    report = analyze_files(paths, config, datetime.now(timezone.utc), progress=progress)
    if report.spans == 0:
        detail = f" ({report.problems[0]})" if report.problems else ""
        raise AnalyzeError(f"no spans found in {', '.join(files)}{detail}")
    return report


def _backends_plan(
    args: argparse.Namespace,
    config: Config,
    every: timedelta | None,
    listen: tuple[str, int] | None,
) -> Plan:
    try:
        args.window = args.window or WINDOW_DEFAULTS["window"]
        args.baseline = args.baseline or WINDOW_DEFAULTS["baseline"]
        window, baseline = parse_duration(args.window), parse_duration(args.baseline)
    except ValueError as exc:
        raise AnalyzeError(f"--window/--baseline: {exc}") from exc
    if args.max_traces < 1:
        raise AnalyzeError(f"--max-traces must be at least 1, not {args.max_traces}")
    try:
        limit = parse_duration(args.time_limit) if args.time_limit else every or DEFAULT_LIMIT
    except ValueError as exc:
        raise AnalyzeError(f"--time-limit: {exc}") from exc
    backends = config.backends
    if args.prometheus:
        backends = replace(backends, prometheus=replace(backends.prometheus, url=args.prometheus))
    if args.tempo:
        backends = replace(backends, tempo=replace(backends.tempo, url=args.tempo))
    config = replace(config, backends=backends)
    use_prometheus = bool(args.backends or args.prometheus)
    use_tempo = bool(args.backends or args.tempo)
    chosen = [
        (name, url)
        for name, url, used in (
            ("prometheus", backends.prometheus.url, use_prometheus),
            ("tempo", backends.tempo.url, use_tempo),
        )
        if used
    ]
    from e2e_otel.sources.http import parse_base_url

    for name, url in chosen:
        parse_base_url(name, url)  # a bad URL fails now, not at each run of a service
    names = [f"{name} {redact_url(url)}" for name, url in chosen]
    max_traces = int(args.max_traces)

    def from_backends() -> Report:
        from e2e_otel.analyzers.backends import analyze_backends
        from e2e_otel.sources.prometheus import PrometheusClient
        from e2e_otel.sources.tempo import TempoClient

        prometheus = PrometheusClient.from_config(config) if use_prometheus else None
        tempo = TempoClient.from_config(config) if use_tempo else None
        for client in (prometheus, tempo):
            if client is not None:  # both share the run's time
                client.http.limit_time(limit.total_seconds())
        try:
            return analyze_backends(
                config,
                prometheus=prometheus,
                tempo=tempo,
                window=window,
                baseline=baseline,
                now=datetime.now(timezone.utc),
                max_traces=max_traces,
            )
        finally:
            for client in (prometheus, tempo):
                if client is not None:
                    client.http.close()

    source = f"{' + '.join(names)} ({args.window} window, {args.baseline} baseline)"
    return Plan(config, source, from_backends, every, listen)
