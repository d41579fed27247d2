"""Keep secrets and PII in the process (DESIGN.md non-negotiable 7).

Authorization/Cookie headers are dropped whatever the capture settings say; SQL literal values
are replaced by ``?`` unless the user opted in with ``privacy.keep_raw_sql``; URL query values
(``?email=...``) are masked unless ``privacy.keep_query_values``.
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


# URL attributes (old and stable HTTP semantic conventions) whose query values may carry PII.
_URL_KEYS = ("http.url", "url.full", "http.target")
_QUERY_KEY = "url.query"
_QUERY_VALUE = re.compile(r"([?&][^=&#?]+)=[^&#]*")
_BARE_QUERY_VALUE = re.compile(r"((?:^|&)[^=&#]+)=[^&#]*")
REDACTED = "REDACTED"


def redact_query(url: str) -> str:
    """Mask every query-string value of a URL, keeping the parameter names."""
    if "?" not in url:
        return url
    return _QUERY_VALUE.sub(rf"\1={REDACTED}", url)


def redact_message(text: str) -> str:
    """Mask values that database error messages quote."""
    return _VALUE_IN_MESSAGE.sub(r"\1'?'", text)


class RedactionEnricher:
    """Drops secret headers always; strips SQL literals unless ``keep_raw_sql``."""

    name = "redaction"

    def __init__(self, keep_raw_sql: bool = False, keep_query_values: bool = False) -> None:
        self.keep_raw_sql = keep_raw_sql
        self.keep_query_values = keep_query_values

    def enrich(self, draft: SpanDraft) -> None:
        attributes = draft.attributes
        secrets = attributes.keys() & SECRET_HEADER_KEYS
        if secrets:
            draft.delete(secrets)
        if not self.keep_query_values:
            self._redact_urls(draft)
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
    def _redact_urls(draft: SpanDraft) -> None:
        attributes = draft.attributes
        for key in _URL_KEYS:
            value = attributes.get(key)
            if isinstance(value, str) and "?" in value:
                draft.set(key, redact_query(value))
        query = attributes.get(_QUERY_KEY)
        if isinstance(query, str) and query:
            draft.set(_QUERY_KEY, _BARE_QUERY_VALUE.sub(rf"\1={REDACTED}", query))

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
