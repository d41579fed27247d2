"""Missing-index findings from digests: one finding per fingerprint id, judged on the sums of
every digest with that id."""

from __future__ import annotations

from e2e_otel.dbhealth.digests import by_fingerprint, recommend, statement_of_digest
from e2e_otel.dbhealth.models import Digest
from e2e_otel.sql.fingerprint import fingerprint, fingerprint_id

PAGE = "SELECT `shop_pageview` . `id` FROM `shop_pageview` WHERE `shop_pageview` . `referrer` = ? "


def _digest(text: str, calls: int, examined: int, sent: int, no_index: int) -> Digest:
    statement = statement_of_digest(text)
    return Digest(
        schema="shop",
        digest=f"{hash(text) & 0xFFFF:04x}",
        digest_text=text,
        fingerprint=fingerprint(statement),
        fingerprint_id=fingerprint_id(statement),
        truncated=False,
        calls=calls,
        rows_examined=examined,
        rows_sent=sent,
        rows_affected=0,
        no_index_used=no_index,
        no_good_index_used=0,
        total_latency_ms=calls * 2.0,
        avg_latency_ms=2.0,
    )


def test_digests_of_one_statement_make_one_finding_on_their_sums() -> None:
    # Two digests to the server, one statement on the spans (the pages' LIMIT/OFFSET forms).
    first = _digest(PAGE + "LIMIT ? ", calls=10, examined=200_000, sent=100, no_index=10)
    second = _digest(PAGE + "LIMIT ? OFFSET ? ", calls=30, examined=600_000, sent=300, no_index=30)
    assert first.digest != second.digest and first.fingerprint_id == second.fingerprint_id
    other = _digest("SELECT `shop_product` . `id` FROM `shop_product` ", 5, 5, 5, 0)

    merged = by_fingerprint([first, other, second])
    assert [d.fingerprint_id for d in merged] == [first.fingerprint_id, other.fingerprint_id]
    assert (merged[0].calls, merged[0].rows_examined, merged[0].rows_sent) == (40, 800_000, 400)
    assert merged[0].no_index_used == 40 and merged[0].avg_latency_ms == 2.0
    assert merged[1] == other

    findings = recommend([first, other, second])
    assert [f.evidence.fingerprint_id for f in findings] == [first.fingerprint_id]
    assert len({f.id for f in findings}) == len(findings)
    assert "2,000 rows examined per row returned" in findings[0].title
