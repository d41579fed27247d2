"""Child-side bootstrap for introspecting a Django project in its own interpreter.

Run by :mod:`e2e_otel.discovery.django_child` as a plain file (``runpy``), never imported by
the parent: it uses only the standard library at import time and imports Django after the
project's settings are chosen, so it works with any interpreter that has the project's
dependencies, and nothing from the project leaks into the caller's process.

Protocol: one JSON request on stdin (``settings``, ``pythonpath``, ``block_database``,
``database``, plus the task's own keys); one JSON line on stdout, the last line written:
``{"ok": true, "result": ...}`` or ``{"ok": false, "kind": ..., "error": "one line"}``.
The project's own prints go to stderr so they cannot corrupt that line.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import Any

Task = Callable[[Mapping[str, Any]], Any]


class ChildFailure(Exception):
    """Ends the child with ``{"ok": false}``; ``kind`` says which stage failed."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class DatabaseAccessBlocked(Exception):
    """Raised in place of any connection attempt while the database is off limits."""


def serve(task: Task) -> None:
    """Read the request, set Django up, run ``task`` and print its answer (exits the process)."""
    answer_to = sys.stdout
    # Import-time prints of the project must not end up in the JSON channel.
    sys.stdout = sys.stderr
    code = 0
    try:
        request = json.loads(sys.stdin.read() or "{}")
        blocked: list[str] = []
        _setup(request, blocked)
        answer: dict[str, Any] = {"ok": True, "result": task(request)}
        if blocked:
            answer["database_access"] = blocked
    except ChildFailure as exc:
        answer, code = {"ok": False, "kind": exc.kind, "error": exc.message}, 1
    except BaseException as exc:  # anything the project raises: report it, never a traceback
        refused = _refusal(exc)
        kind, error = ("database", str(refused)) if refused else ("task", _one_line(exc))
        answer, code = {"ok": False, "kind": kind, "error": error}, 1
    answer_to.write("\n" + json.dumps(answer, default=str) + "\n")
    answer_to.flush()
    sys.exit(code)


def _setup(request: Mapping[str, Any], blocked: list[str]) -> None:
    for entry in reversed(request.get("pythonpath") or []):
        sys.path.insert(0, entry)
    os.environ["DJANGO_SETTINGS_MODULE"] = request["settings"]
    try:
        import django
        from django.conf import settings
    except ImportError as exc:
        raise ChildFailure("django", f"Django is not importable: {_one_line(exc)}") from None
    try:
        databases = settings.DATABASES  # imports the settings module
    except BaseException as exc:
        where = f"settings {request['settings']}"
        raise ChildFailure("settings", f"{where}: {_one_line(exc)}") from None
    if request.get("database"):
        _point_default_at(databases, request["database"])
    if request.get("block_database"):
        _block_connections(blocked)
    try:
        django.setup()
    except BaseException as exc:
        refused = _refusal(exc)
        if refused:
            raise ChildFailure("database", str(refused)) from None
        raise ChildFailure("setup", f"django.setup(): {_one_line(exc)}") from None


def _refusal(exc: BaseException | None) -> DatabaseAccessBlocked | None:
    """The database refusal behind ``exc``, however the project or task re-raised it."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, DatabaseAccessBlocked):
            return exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def _point_default_at(databases: dict[str, dict[str, Any]], target: Mapping[str, Any]) -> None:
    """Aim the ``default`` alias at the caller's server, keeping the project's ENGINE/OPTIONS
    (driver choice, charset) so the project's own migrations run as they would in production."""
    default = databases.setdefault("default", {})
    if "mysql" not in str(default.get("ENGINE", "")):
        engine = default.get("ENGINE") or "none"
        raise ChildFailure("settings", f"the settings' default database is {engine}, not MySQL")
    default.update({key.upper(): value for key, value in target.items()})


def _block_connections(blocked: list[str]) -> None:
    """Make every connection attempt raise, recording where the project tried it from.

    Patched on the handler class, not on connection instances: the instances are created
    lazily per thread, possibly after this runs.
    """
    from django.db.backends.base.base import BaseDatabaseWrapper

    def refuse(self: BaseDatabaseWrapper, *args: object, **kwargs: object) -> Any:
        where = _project_frame()
        blocked.append(where)
        raise DatabaseAccessBlocked(
            f"the project touched the database ({self.alias}) while being scanned, at {where}; "
            "discovery never queries: move that code out of import time / AppConfig.ready()"
        )

    for name in ("ensure_connection", "connect", "cursor", "chunked_cursor"):
        setattr(BaseDatabaseWrapper, name, refuse)


def _project_frame() -> str:
    """The innermost stack frame outside Django and the standard library: the culprit."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        path = frame.filename
        if not any(part in path for part in ("/django/", "/lib/python", __file__)):
            return f"{path}:{frame.lineno} ({frame.name})"
    return "an unknown place"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {text}"
