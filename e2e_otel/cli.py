"""The ``e2e-otel`` command. Errors exit 2 with one readable line, never a traceback (set
``E2E_OTEL_DEBUG=1`` to see one for an internal error)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from collections.abc import Sequence

from e2e_otel import __version__
from e2e_otel.config import ConfigError, load_config
from e2e_otel.environment_variables import E2E_OTEL_DEBUG


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="e2e-otel",
        description="End-to-end tracing for Next.js + Django REST + MySQL on OpenTelemetry.",
    )
    parser.add_argument("--version", action="version", version=f"e2e-otel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = sub.add_parser("config", help="validate a configuration file and print it")
    check.add_argument("path", nargs="?", help="YAML file (default: $E2E_OTEL_CONFIG)")
    fp = sub.add_parser("fingerprint", help="print the fingerprint and id of SQL statements")
    fp.add_argument("sql", nargs="*", help="statements (default: one per line on stdin)")
    from e2e_otel import cli_analyze

    cli_analyze.add_parser(sub)
    from e2e_otel import cli_discover

    cli_discover.add_parser(sub)
    from e2e_otel import cli_db

    cli_db.add_parser(sub)
    from e2e_otel import cli_validate

    cli_validate.add_parser(sub)
    from e2e_otel import cli_map

    cli_map.add_parser(sub)
    from e2e_otel import demo

    demo.add_parser(sub)
    summary = sub.add_parser("summary", help="summarize OTLP JSON trace files")
    summary.add_argument("files", nargs="+", help="OTLP JSON lines files")
    rules = sub.add_parser("rules", help="write Prometheus alerting rules from the thresholds")
    rules.add_argument("--config", help="YAML file (default: $E2E_OTEL_CONFIG, else defaults)")
    rules.add_argument("-o", "--output", help="rule file to write (default: stdout)")
    dashboards = sub.add_parser("dashboards", help="write the Grafana dashboards (JSON)")
    dashboards.add_argument("--config", help="YAML file whose thresholds the panels show")
    dashboards.add_argument(
        "-o", "--output", default="grafana/dashboards", help="directory (default: %(default)s)"
    )
    stack = sub.add_parser(
        "stack",
        help="run the collector and Prometheus on loopback without Docker (up | validate)",
        add_help=False,
    )
    stack.add_argument("args", nargs=argparse.REMAINDER)  # parsed by e2e_otel.stack.native
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Exit codes: 0 done; 1 a ``--fail-on`` gate matched; 2 an error, told
    in one line on stderr (argparse also exits 2 on bad flags); 130 interrupted (Ctrl-C);
    141 the reader of our output went away (a closed pipe)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(argv)
    except ConfigError as exc:
        print(f"e2e-otel: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 141
    except Exception as exc:  # the last resort: one line, never a traceback
        return _internal_error(exc)


def _silence_stdout() -> None:
    # The reader is gone: point stdout at /dev/null, or the interpreter's final flush of what
    # is still buffered raises BrokenPipeError again, with a traceback.
    with contextlib.suppress(OSError, ValueError):  # stdout may be no file (a test's capture)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _internal_error(exc: Exception) -> int:
    if os.environ.get(E2E_OTEL_DEBUG, "").strip().lower() not in ("", "0", "false", "no"):
        traceback.print_exc()
    message = " ".join(str(exc).split())[:300]  # one line, however long the message
    print(
        f"e2e-otel: internal error: {type(exc).__name__}: {message} "
        f"(set {E2E_OTEL_DEBUG}=1 for the traceback)",
        file=sys.stderr,
    )
    return 2


def _run(argv: list[str]) -> int:
    if argv[:1] == ["stack"]:
        # Everything after "stack" (--help included) belongs to the native harness's parser.
        from e2e_otel.stack.native import main as stack_main

        return stack_main(argv[1:], prog="e2e-otel stack")
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "config":
        return _config(args.path)
    if args.command == "fingerprint":
        return _fingerprint(args.sql)
    if args.command == "analyze":
        from e2e_otel import cli_analyze

        return cli_analyze.run(args)
    if args.command == "discover":
        from e2e_otel import cli_discover

        return cli_discover.run(args)
    if args.command == "db":
        from e2e_otel import cli_db

        return cli_db.run(args)
    if args.command == "validate":
        from e2e_otel import cli_validate

        return cli_validate.run(args)
    if args.command == "map":
        from e2e_otel import cli_map

        return cli_map.run(args)
    if args.command == "demo":
        from e2e_otel import demo

        return demo.run(args)
    if args.command == "summary":
        return _summary(args.files)
    if args.command == "rules":
        return _rules(args.config, args.output)
    if args.command == "dashboards":
        return _dashboards(args.config, args.output)
    parser.print_help()
    return 0


def _config(path: str | None) -> int:
    import dataclasses
    import json

    config = load_config(path)
    print(json.dumps(dataclasses.asdict(config), indent=2, default=sorted))
    return 0


def _fingerprint(statements: Sequence[str]) -> int:
    from e2e_otel.sql.fingerprint import fingerprint, fingerprint_id

    lines = statements or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    for sql in lines:
        print(f"{fingerprint_id(sql)}\t{fingerprint(sql)}")
    return 0


def _summary(files: Sequence[str]) -> int:
    from e2e_otel.sources.models import InputProblem
    from e2e_otel.sources.otlp_files import read_spans, unreadable
    from e2e_otel.summary import render, summarize

    for name in files:
        reason = unreadable(name)
        if reason is not None:
            print(f"e2e-otel: error: {name}: {reason}", file=sys.stderr)
            return 2
    problems: list[InputProblem] = []
    result = summarize(read_spans(files, problems.append))
    print(render(result))
    for problem in problems:
        print(f"e2e-otel: warning: {problem}", file=sys.stderr)
    if result.spans == 0:
        print("e2e-otel: error: no spans found in " + ", ".join(files), file=sys.stderr)
        return 2
    return 0


def _rules(config_path: str | None, output: str | None) -> int:
    from e2e_otel.stack.rules import render_rules

    text = render_rules(load_config(config_path))
    if output is None:
        sys.stdout.write(text)
        return 0
    return _write(output, text)


def _dashboards(config_path: str | None, directory: str) -> int:
    try:
        from e2e_otel.stack.dashboards import render_dashboards
    except ImportError as exc:
        print(
            f"e2e-otel: error: {exc}; install it with: pip install 'e2e-otel[stack]' "
            "(Python >= 3.11)",
            file=sys.stderr,
        )
        return 2
    for name, text in render_dashboards(load_config(config_path)).items():
        if _write(os.path.join(directory, name), text) != 0:
            return 2
        print(os.path.join(directory, name))
    return 0


def _write(path: str, text: str) -> int:
    from e2e_otel.outputs import OutputError, write_text

    try:
        write_text(path, text)
    except OutputError as exc:
        print(f"e2e-otel: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
