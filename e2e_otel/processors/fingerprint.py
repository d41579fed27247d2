"""``e2e.db.fingerprint`` and ``e2e.db.fingerprint_id`` on database spans (export stage)."""

from __future__ import annotations

from e2e_otel import attributes as attr
from e2e_otel.processors.enrich import SpanDraft
from e2e_otel.sql.fingerprint import fingerprint, fingerprint_id


class FingerprintEnricher:
    """Fingerprints the statement of every span that has one.

    Runs before redaction so the fingerprint comes from the statement as executed; the
    fingerprint itself never contains literals. Results are cached by
    :mod:`e2e_otel.sql.fingerprint`.
    """

    name = "fingerprint"

    def enrich(self, draft: SpanDraft) -> None:
        attributes = draft.attributes
        if attr.DB_FINGERPRINT in attributes:
            return
        statement = attr.db_statement(attributes)
        if statement is None:
            return
        draft.set(attr.DB_FINGERPRINT, fingerprint(statement))
        draft.set(attr.DB_FINGERPRINT_ID, fingerprint_id(statement))
