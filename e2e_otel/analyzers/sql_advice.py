"""Suggestions from a statement's structure, parsed with sqlglot (MySQL dialect).

Input is a fingerprint (literals as ``?``, IN lists collapsed to ``in(?+)``) and, when one was
recorded, a sample statement (``db.statement``, usually with placeholders instead of values).
The sample shows more (the real size of an IN list, a literal LIKE pattern when raw SQL is
kept), so it is preferred when it parses. Unparseable SQL never raises: the statement's shape
is then read from its text.

Without a schema we cannot know which columns are indexed. Primary and foreign keys (``id``,
``*_id``) usually are — Django indexes both — so only other columns are proposed for an index.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

import sqlglot
from sqlglot import exp

_COLLAPSED = re.compile(r"\(\s*\?\+\s*\)")
_PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|(?<![\w$])\$[0-9]+|(?<![\w$:]):[A-Za-z_]\w*")
_EQUALITY = (exp.EQ, exp.In, exp.Is, exp.NullSafeEQ)
_RANGE = (exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between, exp.Like, exp.ILike, exp.NEQ)
_MAX_INDEX_COLUMNS = 4


class Advice(NamedTuple):
    kind: str  # index, select_star, leading_wildcard, function_on_column, unbounded_scan, ...
    step: str  # one implementation step, for Recommendation.steps
    columns: tuple[str, ...] = ()  # table.column


def parse(text: str) -> exp.Expression | None:
    """The statement's syntax tree, or None when sqlglot cannot read it."""
    if not text.strip():
        return None
    try:
        tree = sqlglot.parse_one(text, read="mysql")
    except Exception:  # sqlglot raises ParseError, TokenError and others on odd input
        return None
    return tree if isinstance(tree, exp.Expression) else None


def advise(fingerprint: str, sample: str = "", huge_in_list: int = 100) -> tuple[Advice, ...]:
    """What to look at in this statement, most useful first (index suggestions lead)."""
    tree = parse(_PLACEHOLDER.sub("?", sample)) if sample else None
    from_sample = tree is not None
    if tree is None:
        tree = parse(_COLLAPSED.sub("(?)", fingerprint))
    if tree is None:
        return _from_text(fingerprint, sample)
    found = list(_from_tree(tree))
    lists = [len(node.expressions) for node in tree.find_all(exp.In) if node.expressions]
    if from_sample and lists and max(lists) >= huge_in_list:
        found.append(
            Advice(
                "huge_in_list",
                f"An IN list of up to {max(lists)} values: send the values in batches, or join "
                "against a temporary table holding them",
            )
        )
    elif not from_sample and "in(?+)" in fingerprint:
        found.append(
            Advice(
                "in_list_unknown",
                "The fingerprint collapses an IN list and no statement text was recorded, so "
                "its size is unknown: check for IN lists of thousands of values",
            )
        )
    return tuple(found)


def _from_tree(tree: exp.Expression) -> Iterator[Advice]:
    if not isinstance(tree, (exp.Select, exp.Update, exp.Delete)):
        return
    tables = _tables(tree)
    where = tree.args.get("where")
    # A joined table is looked up by its ON columns: for an index they act as equalities.
    equal = [
        name
        for join in tree.args.get("joins") or []
        for name in _columns(join.args.get("on"), tables)
        if name.rpartition(".")[0] == tables.get(join.this.alias_or_name)
    ]
    ranged: list[str] = []
    if isinstance(where, exp.Where):
        yield from _predicates(where, tables, equal, ranged)
    grouped = _columns(tree.args.get("group"), tables)
    ordered = _columns(tree.args.get("order"), tables)
    yield from _indexes(equal, ranged, grouped, ordered)
    if isinstance(tree, exp.Select):
        yield from _select_shape(tree, where is not None, tables)


def _predicates(
    where: exp.Where, tables: dict[str, str], equal: list[str], ranged: list[str]
) -> Iterator[Advice]:
    for node in where.find_all(*_EQUALITY, *_RANGE):
        left = node.this
        wildcard = isinstance(node, (exp.Like, exp.ILike)) and _leading_wildcard(node.expression)
        if isinstance(left, exp.Column):
            name = _name(left, tables)
            if name and not wildcard:  # an index cannot serve a leading-wildcard LIKE
                (equal if isinstance(node, _EQUALITY) else ranged).append(name)
        elif isinstance(left, exp.Func) and (inner := left.find(exp.Column)) is not None:
            name = _name(inner, tables) or inner.name
            yield Advice(
                "function_on_column",
                f"{left.sql(dialect='mysql')} wraps the filtered column {name}, so no index on it "
                "can be used: compare the bare column (e.g. a date range instead of DATE(col)), "
                "or index the expression (MySQL 8 functional index / generated column)",
                (name,),
            )
        if wildcard:
            name = _name(left, tables) if isinstance(left, exp.Column) else ""
            yield Advice(
                "leading_wildcard",
                f"LIKE with a leading wildcard on {name or 'a column'} scans every row: use a "
                "prefix match, a FULLTEXT index, or a search engine",
                (name,) if name else (),
            )


def _indexes(
    equal: list[str], ranged: list[str], grouped: list[str], ordered: list[str]
) -> Iterator[Advice]:
    """One composite index per table, in the classic order: the equality columns, then one
    range column — or, without a range, the GROUP BY or else the ORDER BY columns (a B-tree
    serves only one of those after the equalities)."""
    tables = sorted({name.rpartition(".")[0] for name in [*equal, *ranged, *grouped, *ordered]})
    for table in tables:

        def of(names: list[str], table: str = table) -> list[str]:
            return [n.rpartition(".")[2] for n in names if n.rpartition(".")[0] == table]

        after = of(ranged)[:1] or of(grouped) or of(ordered)
        columns = list(dict.fromkeys([*of(equal), *after]))[:_MAX_INDEX_COLUMNS]
        if not table or not any(_looks_unindexed(c) for c in columns):
            continue
        names = tuple(f"{table}.{c}" for c in columns)
        index = f"{table}_{'_'.join(columns)}_idx"[:64]
        yield Advice(
            "index",
            f"Add an index on {', '.join(names)}: CREATE INDEX {index} ON {table} "
            f"({', '.join(columns)}); then confirm with EXPLAIN that it is used",
            names,
        )


def _select_shape(select: exp.Select, has_where: bool, tables: dict[str, str]) -> Iterator[Advice]:
    stars = [e for e in select.expressions if isinstance(e, exp.Star) or e.is_star]
    if stars:
        yield Advice(
            "select_star",
            "SELECT * reads and sends every column: name the columns you use "
            "(Django: .only()/.values())",
        )
    table = ", ".join(sorted(set(tables.values())))
    if has_where or not table or select.args.get("limit") is not None:
        return
    if select.find(exp.AggFunc) is not None and not select.args.get("group"):
        yield Advice(
            "full_table_aggregate",
            f"The aggregate reads every row of {table} on each call: cache the result, keep "
            "a counter, or bound it with a WHERE on an indexed column",
        )
    else:
        yield Advice(
            "unbounded_scan",
            f"No WHERE and no LIMIT: every row of {table} is read and returned; filter it or "
            "paginate with LIMIT",
        )


def _tables(tree: exp.Expression) -> dict[str, str]:
    """Alias (or name) -> table name, for the statement's own tables."""
    return {table.alias_or_name: table.name for table in tree.find_all(exp.Table) if table.name}


def _name(column: exp.Column, tables: dict[str, str]) -> str:
    """``table.column``; an unqualified column belongs to the only table, if there is one."""
    if not column.name or isinstance(column.this, exp.Star):
        return ""
    if column.table:
        return f"{tables.get(column.table, column.table)}.{column.name}"
    names = set(tables.values())
    return f"{names.pop()}.{column.name}" if len(names) == 1 else ""


def _columns(node: exp.Expression | None, tables: dict[str, str]) -> list[str]:
    if node is None:
        return []
    return [name for col in node.find_all(exp.Column) if (name := _name(col, tables))]


def _looks_unindexed(column: str) -> bool:
    lowered = column.lower()
    return lowered not in {"id", "pk"} and not lowered.endswith("_id")


def _leading_wildcard(pattern: exp.Expression | None) -> bool:
    if isinstance(pattern, exp.Concat) and pattern.expressions:
        pattern = pattern.expressions[0]
    return isinstance(pattern, exp.Literal) and pattern.is_string and pattern.this.startswith("%")


def _from_text(fingerprint: str, sample: str) -> tuple[Advice, ...]:
    """Shape checks on the text when sqlglot cannot parse the statement."""
    text = fingerprint.lower()
    found = []
    if re.search(r"\bselect\s+(?:distinct\s+)?\*", text):
        found.append(Advice("select_star", "SELECT * reads and sends every column: name them"))
    if re.search(r"\blike\s+'%", sample, re.IGNORECASE):
        found.append(Advice("leading_wildcard", "LIKE '%...' cannot use an index: avoid it"))
    unbounded = " where " not in text and " limit " not in text
    if text.startswith("select") and " from " in text and unbounded:
        found.append(Advice("unbounded_scan", "No WHERE and no LIMIT: every row is read"))
    return tuple(found)
