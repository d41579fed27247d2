"""Missing-index findings from digests: one finding per fingerprint id, judged on the sums of
every digest with that id."""

from __future__ import annotations

from datetime import datetime, timezone

from e2e_otel import metrics as names
from e2e_otel.dbhealth.digests import recommend, statement_of_digest
from e2e_otel.dbhealth.metrics import DbHealthCollector
from e2e_otel.dbhealth.models import Digest, DigestReport, HealthReport, by_fingerprint
from e2e_otel.sql.fingerprint import fingerprint, fingerprint_id

PAGE = "SELECT `shop_pageview` . `id` FROM `shop_pageview` WHERE `shop_pageview` . `referrer` = ? "


def _digest(
    text: str, calls: int, examined: int, sent: int, no_index: int, latency_ms: float
) -> Digest:
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
        total_latency_ms=calls * latency_ms,
        avg_latency_ms=latency_ms,
    )


def test_digests_of_one_statement_make_one_finding_on_their_sums() -> None:
    # Two digests to the server, one statement on the spans (the pages' LIMIT/OFFSET forms).
    # Neither is a finding alone: the first used an index every time, the second reads too
    # few rows per call; together the statement scans (5 runs without an index, 2,750 rows a
    # call, 275 read per row returned).
    first = _digest(PAGE + "LIMIT ? ", 10, examined=50_000, sent=100, no_index=0, latency_ms=2)
    second = _digest(
        PAGE + "LIMIT ? OFFSET ? ", 10, examined=5_000, sent=100, no_index=5, latency_ms=8
    )
    assert first.digest != second.digest and first.fingerprint_id == second.fingerprint_id
    assert recommend([first]) == () and recommend([second]) == ()
    other = _digest("SELECT `shop_product` . `id` FROM `shop_product` ", 5, 5, 5, 0, 1.0)

    merged = by_fingerprint([first, other, second])
    assert [d.fingerprint_id for d in merged] == [first.fingerprint_id, other.fingerprint_id]
    assert (merged[0].calls, merged[0].rows_examined, merged[0].rows_sent) == (20, 55_000, 200)
    assert (merged[0].no_index_used, merged[0].total_latency_ms) == (5, 100.0)
    assert merged[0].avg_latency_ms == 5.0  # recomputed, not either digest's
    assert merged[0].digest_text == first.digest_text and merged[1] == other

    findings = recommend([first, other, second])
    assert [f.evidence.fingerprint_id for f in findings] == [first.fingerprint_id]
    assert "275 rows examined per row returned" in findings[0].title


def test_the_exported_ratio_is_the_statements_not_one_digests() -> None:
    first = _digest(PAGE + "LIMIT ? ", 10, examined=50_000, sent=100, no_index=0, latency_ms=2)
    second = _digest(PAGE + "LIMIT ? OFFSET ? ", 10, 5_000, 100, 5, latency_ms=8)
    report = HealthReport(
        "mysql://shop@db/shop",
        datetime(2027, 1, 1, tzinfo=timezone.utc),
        True,
        digests=DigestReport(True, "", (second, first)),
    )
    (family,) = [
        f
        for f in DbHealthCollector(lambda: report).collect()
        if f.name == names.DB_DIGEST_EXAMINED_PER_SENT
    ]
    assert [(s.labels, s.value) for s in family.samples] == [
        ({names.DB_FINGERPRINT_ID: first.fingerprint_id}, 275.0)
    ]
