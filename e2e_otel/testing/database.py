"""Database spans for the Django backends e2e-otel does not instrument: SQLite, PostgreSQL,
Oracle, any third-party backend. Test suites often run on SQLite even when the app runs on
MySQL; without spans of their own, ``assert_max_queries`` would pass on zero queries and
``assert_no_n_plus_one`` would never find a loop.

A Django execute wrapper (the hook ``connection.execute_wrapper()`` uses) on every connection,
in every thread (``live_server``'s too): each statement Django sends is a client span with
``db.system`` and ``db.statement``, a child of the request span, counted as Django's
``assertNumQueries`` counts. MySQL connections are left to the drivers' instrumentation, and a
connection whose DB-API driver OpenTelemetry already traces (an app's ``SQLite3Instrumentor`` or
``Psycopg2Instrumentor``) is left to it: no query is counted twice.

The statement is recorded with its double-quoted identifiers in backticks, as Django writes
them on MySQL: the analyzers read SQL in the MySQL dialect, where ``"name"`` is a string
literal, so SQLite's and PostgreSQL's quoting would fingerprint every table and column to
``?`` (and unrelated queries to one fingerprint)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from opentelemetry.trace import SpanKind, Tracer

# Django's vendor names as OpenTelemetry's db.system values.
_SYSTEMS = {"postgresql": "postgresql", "sqlite": "sqlite", "oracle": "oracle", "mysql": "mysql"}
# A single-quoted literal (left alone) or a double-quoted identifier (group 1).
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"((?:[^\"]|\"\")*)\"")


def mysql_quoting(sql: str) -> str:
    """``sql`` with its double-quoted identifiers in backticks (string literals untouched)."""
    if '"' not in sql:
        return sql

    def quote(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)
        return "`" + name.replace('""', '"').replace("`", "``") + "`"

    return _QUOTED.sub(quote, sql)


def _traced_by_opentelemetry(raw: object) -> bool:
    """Whether a DB-API connection is already traced: a proxy of OpenTelemetry's DB-API
    integration, or a connection whose cursors it makes (psycopg2's instrumentation)."""
    if raw is None:
        return False
    if type(raw).__module__.startswith("opentelemetry."):
        return True
    factory = getattr(raw, "cursor_factory", None)
    return factory is not None and getattr(factory, "__module__", "").startswith("opentelemetry.")


class QueryTracer:
    """The execute wrapper: one client span per statement while ``recording()`` says so."""

    def __init__(self, tracer: Tracer, recording: Callable[[], bool]) -> None:
        self._tracer = tracer
        self._recording = recording

    def __call__(
        self, execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: Any
    ) -> Any:
        if not self._recording():
            return execute(sql, params, many, context)
        connection = context["connection"]
        vendor = str(getattr(connection, "vendor", "") or "")
        statement = sql if isinstance(sql, str) else str(sql)
        if vendor != "mysql":
            statement = mysql_quoting(statement)
        words = statement.split(None, 1)
        name = words[0].upper() if words else vendor or "query"
        attributes = {"db.system": _SYSTEMS.get(vendor, vendor or "other_sql")}
        if statement:
            attributes["db.statement"] = statement
        with self._tracer.start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes):
            return execute(sql, params, many, context)


class DjangoQueries:
    """Installs :class:`QueryTracer` on Django's connections, now and as they open."""

    def __init__(self, tracer: QueryTracer, mysql_traced: bool) -> None:
        self.tracer = tracer
        self._mysql_traced = mysql_traced

    def install(self) -> None:
        from django.db import connections
        from django.db.backends.signals import connection_created

        connection_created.connect(self._created, weak=False, dispatch_uid=__name__)
        for connection in connections.all():
            self.attach(connection)

    def uninstall(self) -> None:
        from django.db import connections
        from django.db.backends.signals import connection_created

        connection_created.disconnect(dispatch_uid=__name__)
        for connection in connections.all():
            if self.tracer in connection.execute_wrappers:
                connection.execute_wrappers.remove(self.tracer)

    def _created(self, sender: object, connection: Any, **kwargs: object) -> None:
        self.attach(connection)

    def attach(self, connection: Any) -> None:
        """Trace ``connection``'s statements unless something else already does."""
        wrappers: list[Any] = connection.execute_wrappers
        traced = (connection.vendor == "mysql" and self._mysql_traced) or (
            _traced_by_opentelemetry(connection.connection)
        )
        if traced:
            if self.tracer in wrappers:
                wrappers.remove(self.tracer)
        elif self.tracer not in wrappers:
            # First, so the outermost: connection.execute_wrapper() pops the last one when its
            # block ends, and must pop its own even when this one came in during the block.
            wrappers.insert(0, self.tracer)
