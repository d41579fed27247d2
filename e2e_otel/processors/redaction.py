"""Keep secrets and SQL literals in the process (DESIGN.md non-negotiable 7).

Authorization/Cookie headers are dropped whatever the capture settings say; SQL literal values
are replaced by ``?`` unless the user opted in with ``privacy.keep_raw_sql``.
"""

from __future__ import annotations

import re

from opentelemetry.sdk.trace import Event

from e2e_otel import attributes as attr
from e2e_otel.processors.enrich import SpanDraft
from e2e_otel.sql.fingerprint import strip_literals

_SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key")
# Captured headers become http.{request,response}.header.<name>; instrumentations spell the
# name with "-" or "_". A fixed set of keys makes the check a few dict lookups per span.
SECRET_HEADER_KEYS = frozenset(
    f"http.{direction}.header.{spelling}"
    for direction in ("request", "response")
    for name in _SECRET_HEADERS
    for spelling in (name, name.replace("-", "_"))
)
_PARAMETERS = "db.statement.parameters"
_PARAMETER_PREFIX = "db.query.parameter."
# MySQL error messages quote the offending value, e.g. "Duplicate entry 'a@b.c' for key 'x'".
_VALUE_IN_MESSAGE = re.compile(
    r"((?:entry|value:?|value for)\s+)'(?:[^'\\]|\\.|'')*'", re.IGNORECASE
)


def redact_message(text: str) -> str:
    """Mask values that database error messages quote."""
    return _VALUE_IN_MESSAGE.sub(r"\1'?'", text)


class RedactionEnricher:
    """Drops secret headers always; strips SQL literals unless ``keep_raw_sql``."""

    name = "redaction"

    def __init__(self, keep_raw_sql: bool = False) -> None:
        self.keep_raw_sql = keep_raw_sql

    def enrich(self, draft: SpanDraft) -> None:
        attributes = draft.attributes
        secrets = attributes.keys() & SECRET_HEADER_KEYS
        if secrets:
            draft.delete(secrets)
        if self.keep_raw_sql:
            return
        has_statement = False
        for key in attr.DB_STATEMENT_KEYS:
            value = attributes.get(key)
            if isinstance(value, str):
                has_statement = True
                self._strip(draft, key, value)
        if has_statement or _PARAMETERS in attributes:
            parameters = [
                k for k in attributes if k == _PARAMETERS or k.startswith(_PARAMETER_PREFIX)
            ]
            if parameters:
                draft.delete(parameters)
        for index, event in enumerate(draft.events):
            if event.name == "exception" and event.attributes:
                self._redact_event(draft, index, event)

    @staticmethod
    def _strip(draft: SpanDraft, key: str, value: str) -> None:
        try:
            stripped = strip_literals(value)
        except Exception:
            # Fail closed: a statement we could not sanitize does not leave the process.
            draft.delete([key])
            raise
        if stripped != value:
            draft.set(key, stripped)

    @staticmethod
    def _redact_event(draft: SpanDraft, index: int, event: Event) -> None:
        original = event.attributes or {}
        redacted = {k: redact_message(v) if isinstance(v, str) else v for k, v in original.items()}
        if redacted != dict(original):
            draft.replace_event(index, Event(event.name, redacted, event.timestamp))
