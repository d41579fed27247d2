"""Classify every span into a layer (``e2e.layer``) when it starts.

The database instrumentations set ``db.*`` attributes only after the span has started, so the
decision uses what on_start does see: the instrumentation scope and the span kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Span
from opentelemetry.trace import SpanKind

from e2e_otel import attributes as attr

# Instrumentation scopes whose spans are database calls (prefix match on the scope name).
DATABASE_SCOPES = (
    "opentelemetry.instrumentation.dbapi",
    "opentelemetry.instrumentation.pymysql",
    "opentelemetry.instrumentation.mysqlclient",
    "opentelemetry.instrumentation.mysql",
    "opentelemetry.instrumentation.aiomysql",
    "opentelemetry.instrumentation.sqlalchemy",
    "opentelemetry.instrumentation.psycopg",
    "opentelemetry.instrumentation.sqlite3",
    "opentelemetry.instrumentation.asyncpg",
    "opentelemetry.instrumentation.pymongo",
    "opentelemetry.instrumentation.redis",
)
_DB_SYSTEM_KEYS = ("db.system", "db.system.name")


def classify(scope_name: str, kind: SpanKind, has_db_system: bool) -> str:
    """The layer for a span from its scope, kind and whether it names a database system."""
    if has_db_system or scope_name.startswith(DATABASE_SCOPES):
        return attr.LAYER_DATABASE
    if kind is SpanKind.SERVER or kind is SpanKind.CONSUMER:
        return attr.LAYER_API
    if kind is SpanKind.CLIENT or kind is SpanKind.PRODUCER:
        return attr.LAYER_EXTERNAL
    return attr.LAYER_INTERNAL


class LayerStamper:
    """``e2e.layer`` unless the span was started with one."""

    name = "layer"

    def __init__(self) -> None:
        # Bounded by the number of instrumentation scopes x span kinds in the process.
        self._cache: dict[tuple[str, SpanKind], str] = {}

    def stamp(
        self,
        span: Span,
        own: Mapping[str, Any],
        parent_context: Context | None,
        out: dict[str, Any],
    ) -> None:
        if attr.LAYER in own:
            return
        if any(k in own for k in _DB_SYSTEM_KEYS):
            out[attr.LAYER] = attr.LAYER_DATABASE
            return
        scope = span.instrumentation_scope
        key = (scope.name if scope is not None else "", span.kind)
        layer = self._cache.get(key)
        if layer is None:
            layer = self._cache[key] = classify(key[0], key[1], has_db_system=False)
        out[attr.LAYER] = layer
