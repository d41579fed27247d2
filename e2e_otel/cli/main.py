"""``e2e-otel``: parse the command line and run one command. Errors exit 2 with one readable
line, never a traceback (set ``E2E_OTEL_DEBUG=1`` to see one for an internal error)."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from e2e_otel import __version__
from e2e_otel.cli.errors import EXIT_OK, Handler, install_hint, report
from e2e_otel.environment_variables import E2E_OTEL_DEBUG
from e2e_otel.errors import UserError

# The commands, in the order ``--help`` lists them: each module registers its flags and its
# handler (``set_defaults(handler=run)``).
COMMANDS = (
    "show_config",
    "fingerprint",
    "analyze",
    "discover",
    "db",
    "validate",
    "map",
    "demo",
    "summary",
    "rules",
    "dashboards",
    "sampling",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command but ``stack`` (which parses its own)."""
    parser = argparse.ArgumentParser(
        prog="e2e-otel",
        description="End-to-end tracing for Next.js + Django REST + MySQL on OpenTelemetry.",
    )
    parser.add_argument("--version", action="version", version=f"e2e-otel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"e2e_otel.cli.{name}").add_parser(sub)
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
    except UserError as exc:
        return report(exc)
    except ModuleNotFoundError as exc:  # an optional extra is not installed: say which
        hint = install_hint(exc)
        return report(hint) if hint is not None else _internal_error(exc)
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
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_OK
    return handler(args)
