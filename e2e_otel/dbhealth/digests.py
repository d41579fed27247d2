"""Statement digests from performance_schema, joined to our fingerprints, and the
missing-index recommendations they support.

Joining rule: the server's DIGEST_TEXT is rewritten into the statement the application sent
(see :func:`statement_of_digest` and docs/db-health.md) and then fingerprinted like any
statement, so ``fingerprint_id`` matches ``e2e.db.fingerprint_id`` on the spans. Only the digest
side is rewritten: span fingerprints, and so the ids already in users' data, never change. For
SQL whose identifiers are backquoted (everything Django's MySQL backend writes) the result
equals the fingerprint of the statement itself, on MariaDB 10.11+ and MySQL 8. Unquoted raw SQL
does not match: the server quotes identifiers in its digest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from e2e_otel.analyzers.models import Evidence, Priority, Recommendation, finding_id
from e2e_otel.analyzers.sql_advice import advise
from e2e_otel.dbhealth.connection import error_parts
from e2e_otel.dbhealth.models import Digest, DigestReport, ServerStatus, by_fingerprint
from e2e_otel.sql.fingerprint import fingerprint, fingerprint_id

RULE = "db_missing_index"
#: Rows examined per row returned from which a statement counts as scanning.
MIN_EXAMINED_PER_SENT = 10.0
#: Rows examined per call below which a scan is too cheap to matter.
MIN_EXAMINED_PER_CALL = 1000.0
#: Our own statements carry this marker (see orphans.py) and are left out of the digests.
OWN_MARKER = "e2e_otel_"
_PICOSECONDS_PER_MS = 1e9
_KEYWORDS_BEFORE_PAREN = frozenset({
    "and", "or", "not", "in", "values", "value", "as", "on", "from", "where", "select", "set",
    "when", "then", "else", "having", "by", "using", "into", "union", "all", "any", "some",
    "like", "is", "between", "returning", "table", "key", "index", "unique", "check", "join",
    "limit", "offset", "distinct", "case", "over",
})  # fmt: skip
_QUALIFIED = re.compile(r"` \. `")
_FUNCTION_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*) \(")
# A backquoted name before "(" is a function call (the server quotes the names of functions
# it does not know as keywords: `LOWER` (, `CONCAT_WS` (), unless it names a table or an index
# (INSERT INTO `t` (`a`, ...)) or a common table expression.
_QUOTED_CALL = re.compile(r"(?:\b([A-Za-z_]+) )?(?<![.`\w])`([A-Za-z_][A-Za-z0-9_$]*)` \(")
_NOT_A_CALL_AFTER = frozenset({
    "into", "insert", "replace", "ignore", "table", "exists", "references", "key", "index",
    "with", "recursive", "partition", "view", "trigger", "on",
})  # fmt: skip
# Django's table aliases (T3, U0, V1, ...) are never quoted in the SQL it sends.
_DJANGO_ALIAS = re.compile(r"`([A-Z]{1,2}[0-9]+)`")
# ... nor the derived table of an aggregate over a DISTINCT or sliced queryset (DRF's paginated
# COUNT of a .distinct() list): SELECT COUNT(*) FROM (SELECT DISTINCT ...) subquery.
_DJANGO_SUBQUERY = re.compile(r"\) `subquery`(?![`\w])")
_ROW_LIST = re.compile(r"(\((?:\?|\.\.\.)\)) /\* , \.\.\. \*/")
_ELLIPSIS_LIST = re.compile(r"\(\s*\.\.\.\s*\)")
_LIST_TAIL = re.compile(r"\?\s*,\s*\.\.\.")
_NEGATIVE = re.compile(r"(^|[=<>(,]|\b[A-Za-z]+) - \?")


def _keyword(word: str) -> str:
    """A keyword of the digest text, not inside a backquoted identifier."""
    return rf"(?<![`\w]){word}(?![`\w])"


# Keywords with several spellings: the server's lexer maps them to one token and prints the
# last spelling of its keyword list (MySQL 8 and MariaDB alike: sql/lex.h, gen_lex_token.cc).
# Each is turned back into the spelling applications (Django first) write.
_SYNONYMS = tuple(
    (re.compile(pattern), spelling)
    for pattern, spelling in (
        (_keyword("DISTINCTROW"), "DISTINCT"),
        (_keyword("NOW") + r"(?= \(\?\))", "CURRENT_TIMESTAMP"),  # Django: CURRENT_TIMESTAMP(6)
        (_keyword("NOW") + r"(?! \()", "CURRENT_TIMESTAMP"),  # bare: CURRENT_TIMESTAMP, LOCALTIME
        (_keyword("AS CHARACTER"), "AS CHAR"),  # CAST(x AS char)
        (_keyword("RLIKE"), "REGEXP"),
        (_keyword("SCHEMA") + r"(?= \( \))", "DATABASE"),  # DATABASE()
        # Interval units: Django's TruncWeek (INTERVAL ... DAY), __month / ExtractMonth
        # (EXTRACT(MONTH FROM ...)) are printed SQL_TSI_DAY, SQL_TSI_MONTH.
        (_keyword(r"SQL_TSI_(SECOND|MINUTE|HOUR|DAY|WEEK|MONTH|QUARTER|YEAR)"), r"\1"),
    )
)
# Schema changes (migrations) are left out: no index helps them, and after a migration their
# slow DDL would crowd the application's statements out of the top ones.
_QUERY = """
SELECT SCHEMA_NAME, DIGEST, DIGEST_TEXT, COUNT_STAR, SUM_TIMER_WAIT, SUM_ROWS_EXAMINED,
       SUM_ROWS_SENT, SUM_ROWS_AFFECTED, SUM_NO_INDEX_USED, SUM_NO_GOOD_INDEX_USED
FROM performance_schema.events_statements_summary_by_digest
WHERE SCHEMA_NAME = %s AND DIGEST_TEXT IS NOT NULL AND DIGEST_TEXT NOT LIKE %s
  AND DIGEST_TEXT NOT REGEXP '^(CREATE|ALTER|DROP|TRUNCATE|RENAME) '
ORDER BY SUM_TIMER_WAIT DESC
LIMIT %s
"""
_OFF = (
    "performance_schema is OFF: set performance_schema=ON in the [mysqld] section of the "
    "server's configuration and restart it (it cannot be switched on at run time)"
)


def statement_of_digest(digest_text: str) -> str:
    """DIGEST_TEXT rewritten into the statement the application sent (docs/db-health.md).

    Synonym keywords get the spelling applications write (``DISTINCTROW`` -> ``DISTINCT``),
    spacing is undone (`` `t` . `c` ``, ``COUNT ( * )``, `` , ``), backquoted function names
    and Django's table aliases lose their quotes, value lists become values again (``(...)`` ->
    ``(?, ?)``, ``?, ...`` -> ``?, ?``, ``VALUES (...) /* , ... */`` -> two rows, so the first-row
    cut applies as on the spans) and a negative number ``- ?`` becomes ``?``.
    """
    text = " ".join(digest_text.split())
    for pattern, spelling in _SYNONYMS:
        text = pattern.sub(spelling, text)
    text = _ROW_LIST.sub(r"\1, \1", text)
    text = _QUALIFIED.sub("`.`", text)
    text = _DJANGO_ALIAS.sub(r"\1", text)
    text = text.replace(" , ", ", ").replace("( ", "(").replace(" )", ")")
    text = _DJANGO_SUBQUERY.sub(") subquery", text)
    text = _ELLIPSIS_LIST.sub("(?, ?)", text)
    text = _LIST_TAIL.sub("?, ?", text)
    text = _NEGATIVE.sub(lambda m: f"{m[1]} ?" if m[1] else "?", text)
    text = _QUOTED_CALL.sub(_unquote_call, text)
    return _FUNCTION_CALL.sub(
        lambda m: m[0] if m[1].lower() in _KEYWORDS_BEFORE_PAREN else f"{m[1]}(", text
    )


def _unquote_call(match: re.Match[str]) -> str:
    before, name = match[1], match[2]
    if before is not None and before.lower() in _NOT_A_CALL_AFTER:
        return match[0]
    return f"{before} {name}(" if before is not None else f"{name}("


def read_digests(conn: Any, status: ServerStatus, schema: str, top: int = 50) -> DigestReport:
    """The ``top`` statement shapes of ``schema`` by total latency, or why there are none."""
    import pymysql

    if not status.performance_schema:
        return DigestReport(False, _OFF)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT ENABLED FROM performance_schema.setup_consumers "
                "WHERE NAME = 'statements_digest'"
            )
            consumer = cursor.fetchone()
            if consumer is not None and str(consumer[0]).upper() != "YES":
                return DigestReport(
                    False,
                    "the statements_digest consumer is disabled: UPDATE "
                    "performance_schema.setup_consumers SET ENABLED = 'YES' "
                    "WHERE NAME = 'statements_digest'",
                )
            cursor.execute(_QUERY, (schema, f"%{OWN_MARKER}%", top))
            rows = cursor.fetchall()
    except pymysql.err.MySQLError as exc:
        code, reason = error_parts(exc)
        if code in {1044, 1142}:  # access denied to the database / table
            reason += "; grant it with: GRANT SELECT ON performance_schema.* TO <user>"
        return DigestReport(False, f"performance_schema not readable: {reason}")
    return DigestReport(True, "", tuple(_digest(row) for row in rows))


def _digest(row: tuple[Any, ...]) -> Digest:
    schema, digest, text, calls, timer, examined, sent, affected, no_index, no_good = row
    statement = statement_of_digest(str(text))
    calls = int(calls or 0)
    total_ms = float(timer or 0) / _PICOSECONDS_PER_MS
    stripped = str(text).rstrip()
    return Digest(
        schema=schema,
        digest=str(digest),
        digest_text=str(text),
        fingerprint=fingerprint(statement),
        fingerprint_id=fingerprint_id(statement),
        truncated=stripped.endswith("...") and not stripped.endswith(("(...)", ", ...")),
        calls=calls,
        rows_examined=int(examined or 0),
        rows_sent=int(sent or 0),
        rows_affected=int(affected or 0),
        no_index_used=int(no_index or 0),
        no_good_index_used=int(no_good or 0),
        total_latency_ms=round(total_ms, 3),
        avg_latency_ms=round(total_ms / calls, 3) if calls else 0.0,
    )


def read_indexed_columns(conn: Any, schema: str) -> frozenset[tuple[str, str]]:
    """(table, column) pairs that lead some index of ``schema``."""
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = %s AND SEQ_IN_INDEX = 1",
            (schema,),
        )
        return frozenset((str(t).lower(), str(c).lower()) for t, c in cursor.fetchall())


def recommend(
    digests: Iterable[Digest], indexed: frozenset[tuple[str, str]] = frozenset()
) -> tuple[Recommendation, ...]:
    """Missing-index findings for statements that scan: run without an index, reading at
    least MIN_EXAMINED_PER_SENT rows per row returned and MIN_EXAMINED_PER_CALL per call.
    Digests with one fingerprint id (``LIMIT ?`` and ``LIMIT ? OFFSET ?`` are two digests to
    the server, one statement on the spans) are judged together: one finding per id."""
    return tuple(
        _recommendation(d, indexed)
        for d in by_fingerprint(digests)
        if d.no_index_used
        and d.calls
        and d.examined_per_sent >= MIN_EXAMINED_PER_SENT
        and d.rows_examined / d.calls >= MIN_EXAMINED_PER_CALL
    )


def _recommendation(d: Digest, indexed: frozenset[tuple[str, str]]) -> Recommendation:
    advice = advise(d.fingerprint)
    steps = []
    columns: list[str] = []
    for item in advice:
        if item.kind == "index" and item.columns:
            table, _, column = item.columns[0].partition(".")
            if (table.lower(), column.lower()) in indexed:
                steps.append(
                    f"{item.columns[0]} already leads an index the server did not use: check "
                    "EXPLAIN for a type or collation mismatch, or a function on the column"
                )
                continue
            columns.extend(item.columns)
        steps.append(item.step)
    steps.append("Confirm with EXPLAIN on a real statement: type ALL / a large rows estimate")
    ratio = d.examined_per_sent
    priority: Priority = "high" if ratio >= 1000 else "medium" if ratio >= 100 else "low"
    subject = ", ".join(columns) if columns else f"statement {d.fingerprint_id}"
    saved_share = 1 - 1 / ratio  # the rows an index lets the server skip
    return Recommendation(
        id=finding_id(RULE, d.fingerprint_id),
        rule=RULE,
        category="database",
        priority=priority,
        title=f"Missing index on {subject}: {ratio:,.0f} rows examined per row returned",
        description=(
            f"`{d.fingerprint}` ran {d.calls} times without using an index "
            f"({d.no_index_used} executions), examining {d.rows_examined:,} rows to return "
            f"{d.rows_sent:,}; {d.total_latency_ms:g} ms in total, {d.avg_latency_ms:g} ms "
            "per call (performance_schema statement digests)."
        ),
        steps=tuple(steps),
        expected_improvement_ms=round(d.avg_latency_ms * saved_share, 3),
        expected_improvement_pct=round(100 * saved_share, 1),
        evidence=Evidence(
            fingerprint_id=d.fingerprint_id,
            fingerprint=d.fingerprint,
            figures={
                "calls": d.calls,
                "rows_examined": d.rows_examined,
                "rows_sent": d.rows_sent,
                "examined_per_sent": round(ratio, 2),
                "no_index_used": d.no_index_used,
                "total_ms": d.total_latency_ms,
                "mean_ms": d.avg_latency_ms,
            },
        ),
    )
