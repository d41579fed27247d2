from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from e2e_otel.analyzers.sql_advice import Advice, advise
from e2e_otel.sql.fingerprint import fingerprint
from tests.analyzers.conftest import PAGEVIEWS, REVIEWS


def _advise(statement: str, *, with_sample: bool = True) -> dict[str, Advice]:
    found = advise(fingerprint(statement), statement if with_sample else "", huge_in_list=100)
    return {a.kind: a for a in found}


@pytest.mark.parametrize("with_sample", [True, False])
def test_index_on_the_filtered_column_of_an_unindexed_scan(with_sample: bool) -> None:
    index = _advise(PAGEVIEWS, with_sample=with_sample)["index"]
    assert index.columns == ("shop_pageview.referrer",)
    assert "CREATE INDEX" in index.step and "shop_pageview (referrer)" in index.step


def test_keys_that_look_indexed_get_no_index_suggestion() -> None:
    assert _advise(REVIEWS) == {}  # product_id: a foreign key, indexed by Django


def _indexes(statement: str) -> list[tuple[str, ...]]:
    return [a.columns for a in advise(fingerprint(statement), statement) if a.kind == "index"]


def test_composite_index_follows_equality_range_order_and_join_columns() -> None:
    statement = (
        "SELECT o.id FROM orders o JOIN users u ON u.email = o.email "
        "WHERE o.status = %s AND o.created_at > %s ORDER BY o.total"
    )
    # The joined table is looked up by its ON column; the range ends the orders index.
    assert _indexes(statement) == [("orders.status", "orders.created_at"), ("users.email",)]


def test_group_by_and_order_by_columns_extend_the_index() -> None:
    grouped = _advise("SELECT path, COUNT(*) FROM pv WHERE referrer = %s GROUP BY path")
    assert grouped["index"].columns == ("pv.referrer", "pv.path")
    ordered = _advise("SELECT id FROM events ORDER BY created_at DESC LIMIT 10")
    assert ordered["index"].columns == ("events.created_at",)


def test_select_star_leading_wildcard_and_function_on_column() -> None:
    found = _advise(
        "SELECT * FROM users WHERE LOWER(name) = %s AND bio LIKE '%needle%' AND id > %s"
    )
    assert {"select_star", "leading_wildcard", "function_on_column"} <= found.keys()
    assert found["function_on_column"].columns == ("users.name",)
    assert found["leading_wildcard"].columns == ("users.bio",)
    assert "index" not in found  # bio cannot use one; id already has one
    concat = _advise("SELECT id FROM t WHERE name LIKE CONCAT('%', %s)")
    assert "leading_wildcard" in concat


def test_prefix_like_and_bound_patterns_are_not_leading_wildcards() -> None:
    assert "leading_wildcard" not in _advise("SELECT id FROM t WHERE name LIKE 'abc%'")
    assert "leading_wildcard" not in _advise("SELECT id FROM t WHERE name LIKE %s")


def test_unbounded_scans_and_whole_table_aggregates() -> None:
    assert "unbounded_scan" in _advise("SELECT name FROM products")
    assert "full_table_aggregate" in _advise("SELECT COUNT(*) AS `__count` FROM `shop_product`")
    assert "unbounded_scan" not in _advise("SELECT name FROM products LIMIT 20")
    assert "unbounded_scan" not in _advise("SELECT name FROM products WHERE id = %s")
    assert _advise("SELECT VERSION(), @@sql_mode") == {}


def test_huge_in_lists_need_the_sample_statement() -> None:
    statement = "SELECT a FROM t WHERE id IN (" + ", ".join(["%s"] * 150) + ")"
    found = _advise(statement)
    assert "150 values" in found["huge_in_list"].step
    assert "huge_in_list" not in _advise("SELECT a FROM t WHERE id IN (%s, %s)")
    assert "in_list_unknown" in _advise(statement, with_sample=False)


def test_update_and_delete_filters() -> None:
    assert _advise("UPDATE t SET a = %s WHERE email = %s")["index"].columns == ("t.email",)
    assert _advise("DELETE FROM t WHERE expires_at < %s")["index"].columns == ("t.expires_at",)


def test_unparseable_statements_fall_back_to_their_text() -> None:
    assert {a.kind for a in advise("select * from where ((( garbage", "")} == {"select_star"}
    assert advise("", "") == ()


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_never_raises(text: str) -> None:
    advise(fingerprint(text), text)
