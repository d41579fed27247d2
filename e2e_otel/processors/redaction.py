"""Keep secrets and SQL literals in the process (DESIGN.md non-negotiable 7).

Authorization/Cookie headers are dropped whatever the capture settings say; SQL literal values
are replaced by ``?`` unless the user opted in with ``privacy.keep_raw_sql``.
"""

from __future__ import annotations

import re
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan

from e2e_otel import attributes as attr
from e2e_otel.sql.fingerprint import strip_literals

# Header attribute keys look like http.request.header.<name> (names may use - or _).
_SECRET_HEADER = re.compile(
    r"^http\.(request|response)\.header\."
    r"(authorization|proxy[-_]authorization|cookie|set[-_]cookie|x[-_]api[-_]key)$",
    re.IGNORECASE,
)
_PARAMETER_KEYS = ("db.statement.parameters",)
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

    def enrich(self, span: ReadableSpan, attributes: dict[str, Any], events: list[Event]) -> None:
        for key in [k for k in attributes if _SECRET_HEADER.match(k)]:
            del attributes[key]
        if self.keep_raw_sql:
            return
        for key in attr.DB_STATEMENT_KEYS:
            value = attributes.get(key)
            if isinstance(value, str):
                try:
                    attributes[key] = strip_literals(value)
                except Exception:
                    # Fail closed: a statement we could not sanitize does not leave the process.
                    del attributes[key]
                    raise
        for key in [
            k for k in attributes if k in _PARAMETER_KEYS or k.startswith(_PARAMETER_PREFIX)
        ]:
            del attributes[key]
        for i, event in enumerate(events):
            if event.name == "exception" and event.attributes:
                redacted = {
                    k: redact_message(v) if isinstance(v, str) else v
                    for k, v in event.attributes.items()
                }
                if redacted != dict(event.attributes):
                    events[i] = Event(event.name, redacted, event.timestamp)
