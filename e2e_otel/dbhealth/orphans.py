"""Orphaned rows: child rows pointing at a parent row that does not exist.

Only relations the database does not enforce are checked — a Django ForeignKey with
``db_constraint=False``, a table on an engine without foreign keys (MyISAM, ...), or a
declared relation with no FOREIGN KEY in information_schema (dropped by hand, or created
with foreign_key_checks off). Every count is one bounded query: it stops at ``limit`` rows
and the server aborts it after ``timeout_s``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from e2e_otel.dbhealth.connection import STATEMENT_TIMEOUT_S, error_parts
from e2e_otel.dbhealth.digests import OWN_MARKER
from e2e_otel.dbhealth.models import OrphanCheck, Relation

DEFAULT_LIMIT = 100_000
_ENFORCING_ENGINES = frozenset({"innodb", "ndbcluster"})


def unenforced(conn: Any, schema: str, relations: Iterable[Relation]) -> list[tuple[Relation, str]]:
    """The relations whose integrity the database does not guard, each with the reason."""
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT TABLE_NAME, ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
            (schema,),
        )
        engines = {str(t).lower(): str(e or "").lower() for t, e in cursor.fetchall()}
        cursor.execute(
            "SELECT TABLE_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME "
            "FROM information_schema.KEY_COLUMN_USAGE "
            "WHERE TABLE_SCHEMA = %s AND REFERENCED_TABLE_NAME IS NOT NULL",
            (schema,),
        )
        keys = {tuple(str(v).lower() for v in row) for row in cursor.fetchall()}
    found = []
    for relation in relations:
        table, parent = relation.table.lower(), relation.parent_table.lower()
        if table not in engines or parent not in engines:
            continue  # not created yet: the migration status reports that
        if not relation.db_constraint:
            found.append((relation, "db_constraint=False"))
        elif engines[table] not in _ENFORCING_ENGINES:
            found.append((relation, f"{engines[table]} table: foreign keys are not enforced"))
        elif (table, relation.column.lower(), parent) not in keys:
            found.append((relation, "no FOREIGN KEY constraint in the database"))
    return found


def count_orphans(
    conn: Any,
    relation: Relation,
    reason: str,
    *,
    mariadb: bool,
    limit: int = DEFAULT_LIMIT,
    timeout_s: float = STATEMENT_TIMEOUT_S,
) -> OrphanCheck:
    """How many rows of ``relation.table`` reference a missing parent (at most ``limit``)."""
    import pymysql

    child, parent = f"{OWN_MARKER}child", f"{OWN_MARKER}parent"
    column, key = _quote(relation.column), _quote(relation.parent_column)
    inner = (
        f"SELECT 1 FROM {_quote(relation.table)} AS {child} "
        f"LEFT JOIN {_quote(relation.parent_table)} AS {parent} "
        f"ON {parent}.{key} = {child}.{column} "
        f"WHERE {child}.{column} IS NOT NULL AND {parent}.{key} IS NULL LIMIT {int(limit)}"
    )
    count = f"SELECT COUNT(*) FROM ({inner}) AS {OWN_MARKER}orphans"
    if mariadb:
        statement = f"SET STATEMENT max_statement_time={timeout_s:g} FOR {count}"
    else:
        hint = f"/*+ MAX_EXECUTION_TIME({timeout_s * 1000:.0f}) */"
        statement = count.replace("SELECT", f"SELECT {hint}", 1)
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
            row = cursor.fetchone()
    except pymysql.err.MySQLError as exc:
        return OrphanCheck(relation, reason, 0, False, error_parts(exc)[1])
    orphaned = int(row[0]) if row else 0
    return OrphanCheck(relation, reason, orphaned, orphaned >= limit)


def _quote(identifier: str) -> str:
    return "`" + identifier.replace("`", "``") + "`"
