"""Classify every span into a layer (``e2e.layer``), at export.

The layer is a pure function of the finished span (instrumentation scope, kind, ``db.system``),
so it is decided on the export thread: nothing on the request thread, and the database
attributes that instrumentations set after start are visible.
"""

from __future__ import annotations

from opentelemetry.trace import SpanKind

from e2e_otel import attributes as attr
from e2e_otel.processors.enrich import SpanDraft

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


class LayerEnricher:
    """``e2e.layer`` unless the span already has one (e.g. started as ``frontend``)."""

    name = "layer"

    def __init__(self) -> None:
        # Bounded by the number of instrumentation scopes x span kinds in the process.
        self._cache: dict[tuple[str, SpanKind], str] = {}

    def enrich(self, draft: SpanDraft) -> None:
        attributes = draft.attributes
        if attr.LAYER in attributes:
            return
        if any(k in attributes for k in _DB_SYSTEM_KEYS):
            draft.set(attr.LAYER, attr.LAYER_DATABASE)
            return
        span = draft.span
        scope = span.instrumentation_scope
        key = (scope.name if scope is not None else "", span.kind)
        layer = self._cache.get(key)
        if layer is None:
            layer = self._cache[key] = classify(key[0], key[1], has_db_system=False)
        draft.set(attr.LAYER, layer)
