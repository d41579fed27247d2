"""``e2e.error.category`` (the taxonomy of docs/attributes.md) on failed spans, from the
finished span.

Evidence, most specific first: the recorded exception (type and MySQL error code), then the
HTTP status of server/client spans, then the layer. 4xx server spans get a category too although
their status stays UNSET per the HTTP semantic conventions: "which workflow fails with what" is
the question the dashboards answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from opentelemetry.trace import SpanKind, StatusCode

from e2e_otel import attributes as attr
from e2e_otel.processors.enrich import SpanDraft

# MySQL/MariaDB error codes (server and client) -> category.
_MYSQL_CODES = {
    1040: "db_pool_exhausted",  # Too many connections
    1203: "db_pool_exhausted",  # max_user_connections
    2002: "db_connection",
    2003: "db_connection",
    2005: "db_connection",
    2006: "db_connection",  # server has gone away
    2013: "db_connection",  # lost connection during query
    2055: "db_connection",
    1045: "db_connection",  # access denied: the connection cannot be made
    1062: "db_integrity",
    1048: "db_integrity",
    1451: "db_integrity",
    1452: "db_integrity",
    1146: "db_migration",  # table does not exist
    1054: "db_migration",  # unknown column
    1205: "db_query",  # lock wait timeout
    1213: "db_query",  # deadlock
}
_CODE = re.compile(r"^\(?\s*(\d{4})\b")

# Exception type names (last dotted component, or a substring) -> category; order matters.
_TYPE_RULES: tuple[tuple[str, str], ...] = (
    ("TemplateDoesNotExist", "render_failure"),
    ("TemplateSyntaxError", "render_failure"),
    ("ExpiredSignature", "auth_token_expired"),
    ("TokenExpired", "auth_token_expired"),
    ("Timeout", "network_timeout"),
    ("TimedOut", "network_timeout"),
    ("IntegrityError", "db_integrity"),
    ("Migration", "db_migration"),
    ("NodeNotFoundError", "db_migration"),
    ("PoolTimeout", "db_pool_exhausted"),
    ("PoolExhausted", "db_pool_exhausted"),
    ("InterfaceError", "db_connection"),
    ("OperationalError", "db_connection"),
    ("ProgrammingError", "db_query"),
    ("DataError", "db_query"),
    ("InternalError", "db_query"),
    ("NotSupportedError", "db_query"),
    ("DatabaseError", "db_query"),
    ("NotAuthenticated", "authentication"),
    ("AuthenticationFailed", "authentication"),
    ("InvalidToken", "authentication"),
    ("PermissionDenied", "permission"),
    ("Throttled", "throttled"),
    ("ValidationError", "validation"),
    ("ParseError", "serialization"),
    ("JSONDecodeError", "serialization"),
    ("UnsupportedMediaType", "serialization"),
    ("Serializ", "serialization"),
    ("Http404", "not_found"),
    ("NotFound", "not_found"),
    ("DoesNotExist", "not_found"),
)
_STATUS = {
    400: "validation",
    401: "authentication",
    403: "permission",
    404: "not_found",
    408: "network_timeout",
    422: "validation",
    429: "throttled",
    504: "network_timeout",
}


def from_exception(exc_type: str, message: str) -> str | None:
    """Category for one recorded exception, or None when the type says nothing."""
    short = exc_type.rsplit(".", 1)[-1]
    if short in ("OperationalError", "InternalError", "ProgrammingError", "DataError"):
        code = _CODE.match(message.lstrip())
        if code is not None:
            by_code = _MYSQL_CODES.get(int(code.group(1)))
            if by_code is not None:
                return by_code
    if "expired" in message.lower() and ("Token" in short or "Signature" in short):
        return "auth_token_expired"
    lowered = short.lower()
    for needle, category in _TYPE_RULES:
        if needle.lower() in lowered:
            return category
    return None


def from_status(status: int, kind: SpanKind) -> str | None:
    if status in _STATUS:
        return _STATUS[status]
    if status >= 500:
        return "server_error"
    if status >= 400 and kind is SpanKind.SERVER:
        return "validation"
    return None


def exception_texts(events: Iterable[Any]) -> list[tuple[str, str]]:
    """``(exception.type, exception.message)`` of each ``exception`` event that has attributes
    (the SDK's events and the analyzer's read ones alike: ``name`` and ``attributes``)."""
    return [
        (
            str(e.attributes.get("exception.type", "")),
            str(e.attributes.get("exception.message", "")),
        )
        for e in events
        if e.name == "exception" and e.attributes
    ]


def categorize(
    exceptions: Iterable[tuple[str, str]],
    http_status: int | None,
    kind: SpanKind,
    layer: str | None,
    is_error: bool,
) -> str | None:
    """The category of a span, or None when it did not fail."""
    for exc_type, message in exceptions:
        category = from_exception(exc_type, message)
        if category is not None:
            return category
        is_error = True
    if http_status is not None and kind in (SpanKind.SERVER, SpanKind.CLIENT):
        category = from_status(http_status, kind)
        if category is not None:
            return category
    if not is_error:
        return None
    if layer == attr.LAYER_DATABASE:
        return "db_query"
    if kind is SpanKind.SERVER:
        return "server_error"
    if layer == attr.LAYER_FRONTEND:
        return "render_failure"
    return "unknown"


class ErrorCategoryEnricher:
    """Sets ``e2e.error.category`` on failed spans that do not carry one yet."""

    name = "error_category"

    def enrich(self, draft: SpanDraft) -> None:
        attributes = draft.attributes
        if attr.ERROR_CATEGORY in attributes:
            return
        span = draft.span
        events = draft.events
        http_status = attr.http_status_code(attributes)
        is_error = span.status.status_code is StatusCode.ERROR
        if not is_error and not events and (http_status is None or http_status < 400):
            return  # the common case: a successful span, decided in a few lookups
        layer = attributes.get(attr.LAYER)
        category = categorize(
            exception_texts(events),
            http_status,
            span.kind,
            layer if isinstance(layer, str) else None,
            is_error,
        )
        if category is not None:
            draft.set(attr.ERROR_CATEGORY, category)
