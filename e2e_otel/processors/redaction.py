"""Keep secrets and PII in the process (docs/attributes.md, "Privacy").

Captured headers whose name looks secret (:data:`e2e_otel.privacy.SECRET_HEADER_WORDS`:
Authorization, Cookie, X-CSRFToken, X-Auth-Token, ...) are dropped whatever the capture
settings say; SQL literal values are replaced by ``?`` unless the user opted in with
``privacy.keep_raw_sql``, and so are the values that database error text quotes, wherever it
lands (exception message and stacktrace, span status description); URL query values
(``?email=...``) are masked unless ``privacy.keep_query_values``.
"""

from __future__ import annotations

import re

from opentelemetry.sdk.trace import Event

from e2e_otel import attributes as attr
from e2e_otel.privacy import HEADER_ATTRIBUTE_PREFIXES, is_secret_header_attribute, mask_db_values
from e2e_otel.processors.enrich import SpanDraft
from e2e_otel.sql.fingerprint import strip_literals

_PARAMETERS = "db.statement.parameters"
_PARAMETER_PREFIX = "db.query.parameter."


# URL attributes (old and stable HTTP semantic conventions) whose query values may carry PII.
_URL_KEYS = ("http.url", "url.full", "http.target")
_QUERY_KEY = "url.query"
# Captured headers (when a capture setting records them) whose values are URLs: a redirect to
# `?code=...`, a page linked from `?email=...`.
_URL_HEADER_KEYS = (
    "http.request.header.referer",
    "http.response.header.location",
    "http.response.header.content_location",
)
_QUERY_VALUE = re.compile(r"([?&][^=&#?]+)=[^&#]*")
_BARE_QUERY_VALUE = re.compile(r"((?:^|&)[^=&#]+)=[^&#]*")
REDACTED = "REDACTED"


def redact_query(url: str) -> str:
    """Mask every query-string value of a URL, keeping the parameter names."""
    if "?" not in url:
        return url
    return _QUERY_VALUE.sub(rf"\1={REDACTED}", url)


class RedactionEnricher:
    """Drops secret headers always; strips SQL literals unless ``keep_raw_sql``."""

    name = "redaction"

    def __init__(self, keep_raw_sql: bool = False, keep_query_values: bool = False) -> None:
        self.keep_raw_sql = keep_raw_sql
        self.keep_query_values = keep_query_values

    def enrich(self, draft: SpanDraft) -> None:
        attributes = draft.attributes
        secrets = [
            key
            for key in attributes
            if key.startswith(HEADER_ATTRIBUTE_PREFIXES) and is_secret_header_attribute(key)
        ]
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
        description = draft.status.description
        if description:
            masked = mask_db_values(description)
            if masked != description:
                draft.set_status_description(masked)

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
        for key in _URL_HEADER_KEYS:
            values = attributes.get(key)
            if isinstance(values, (tuple, list)) and any("?" in str(v) for v in values):
                draft.set(key, tuple(redact_query(str(v)) for v in values))

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
        redacted = {k: mask_db_values(v) if isinstance(v, str) else v for k, v in original.items()}
        if redacted != dict(original):
            draft.replace_event(index, Event(event.name, redacted, event.timestamp))
