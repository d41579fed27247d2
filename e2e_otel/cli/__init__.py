"""The ``e2e-otel`` command: :func:`main` dispatches to one module per command.

Each command module has ``add_parser(subparsers)``, which registers its flags and
``set_defaults(handler=run)``, and ``run(args) -> exit code``. Errors a user can fix are
:class:`~e2e_otel.errors.UserError` (``cli.errors.CommandError`` for the commands' own) and
become one line and exit code 2 in :func:`e2e_otel.cli.errors.command`.
"""

from __future__ import annotations

from e2e_otel.cli.main import main

__all__ = ["main"]
