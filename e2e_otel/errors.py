"""The base of every error a user can fix: a bad file, flag, URL, an unreachable server.

Its ``str()`` is one readable line naming what is wrong. The command line prints it as
``e2e-otel: error: <message>`` and exits 2 (``e2e_otel.cli.errors``); anything else that escapes
a command is an internal error. Library callers can catch this one class.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix, told in one line."""
