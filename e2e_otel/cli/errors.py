"""How a command fails: :class:`CommandError` (or any :class:`~e2e_otel.errors.UserError`)
becomes one ``e2e-otel: error: …`` line and its exit code, in one place (:func:`command`).

Exit codes of every command: 0 done; 1 a ``--fail-on`` gate matched; 2 an error the user can
fix (argparse also exits 2 on bad flags); 130 interrupted; 141 the output pipe closed.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable

from e2e_otel.errors import UserError

EXIT_OK = 0
EXIT_GATE = 1
EXIT_ERROR = 2

Handler = Callable[[argparse.Namespace], int]


class CommandError(UserError):
    """A command cannot do its work; ``exit_code`` is 2 unless given."""

    def __init__(self, message: str, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def report(exc: UserError) -> int:
    """Print ``exc`` as one error line; its exit code."""
    message = " ".join(str(exc).split())
    print(f"e2e-otel: error: {message}", file=sys.stderr)
    return exc.exit_code if isinstance(exc, CommandError) else EXIT_ERROR


def command(run: Handler) -> Handler:
    """A command's ``run``, with its :class:`UserError` told as one line and exit code."""

    @functools.wraps(run)
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except UserError as exc:
            return report(exc)

    return wrapper


# Third-party modules of the optional extras (pyproject.toml) -> the extra that brings them.
EXTRA_OF_MODULE = {
    **dict.fromkeys(
        ["httpx", "numpy", "scipy", "sqlglot", "jsonschema", "prometheus_client"], "analyzer"
    ),
    **dict.fromkeys(["pymysql"], "analyzer"),
    **dict.fromkeys(["tree_sitter", "tree_sitter_typescript"], "discovery"),
    "django": "django",
    "grafana_foundation_sdk": "stack",
}


def missing_extra(exc: ImportError, extra: str, note: str = "") -> CommandError:
    """The error for a command whose optional dependencies are not installed."""
    return CommandError(f"{exc}; install it with: pip install 'e2e-otel[{extra}]'{note}")


def install_hint(exc: ModuleNotFoundError) -> CommandError | None:
    """The install hint for a module of one of our extras, or None for any other module."""
    top = (exc.name or "").partition(".")[0]
    extra = EXTRA_OF_MODULE.get(top)
    return missing_extra(exc, extra) if extra is not None else None
