"""Writes tests/sql/sql_corpus.txt: realistic MySQL statements, three literal variants per shape.

Run ``python tests/sql/make_sql_corpus.py`` after editing SHAPES or DEVIATIONS; the output is
deterministic (seeded) and committed. The corpus is the oracle input of test_fingerprint.py:
statements built from one shape differ only in literal values, IN-list/row counts, keyword case
and whitespace, so pt-fingerprint puts them in one group.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

NEWLINE_MARK = "\u23ce"  # "⏎" stands for a newline inside a statement
CORPUS = Path(__file__).with_name("sql_corpus.txt")
VARIANTS = 3

# Contents for quoted strings. MySQL escapes only: no doubled quotes, no backslash right
# before the closing quote, no parentheses or /* (those are deviation statements, see below).
_WORDS = [
    "alice",
    "Bob",
    "it\\'s",
    'say \\"hi\\"',
    "line1\\nline2",
    "C:\\\\temp\\\\x1",
    "100%",
    "50% off",
    "a?b",
    "%s",
    ":name",
    "#ff0000",
    "naïve café",
    "日本語",
    "",
    "tab\\there",
    "O\\'Brien",
    "x@example.com",
    "2024-05-01",
    '{"a": 1}',
    "multi" + NEWLINE_MARK + "line",
    "-- not a comment",
    "5",
    "-7",
    "1e3",
    "NULL",
    "0x1F",
    "$1",
    "union select",
]


class Gen:
    """Random literals of each MySQL kind, in the forms Django and hand-written code send."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def i(self) -> str:
        return str(self.r.choice([0, 1, 7, 42, 250, 1999, 65535, 123456789]) + self.r.randint(0, 9))

    def neg(self) -> str:
        return "-" + self.i()

    def f(self) -> str:
        return self.r.choice(["0.5", "19.99", "3.14159", ".25", "1.5e-3", "2e10", "100.0", "7."])

    def s(self) -> str:
        return "'" + self.r.choice(_WORDS) + "'"

    def ds(self) -> str:
        return '"' + self.r.choice(_WORDS).replace('\\"', "'").replace('"', '\\"') + '"'

    def date(self) -> str:
        day = self.r.randint(1, 28)
        return f"'2024-0{self.r.randint(1, 9)}-{day:02d} {self.r.randint(0, 23):02d}:00:00.000000'"

    def ints(self) -> str:
        return self.r.choice([", ", ","]).join(self.i() for _ in range(self.r.randint(1, 8)))

    def strs(self) -> str:
        return ", ".join(self.s() for _ in range(self.r.randint(1, 6)))

    def rows(self, row: Callable[[], str]) -> str:
        return self.r.choice([", ", ","]).join(f"({row()})" for _ in range(self.r.randint(1, 5)))

    def ws(self) -> str:
        return self.r.choice([" ", "  ", NEWLINE_MARK, "\t", NEWLINE_MARK + "  "])

    def kw(self, word: str) -> str:
        return self.r.choice([word.upper(), word.lower(), word.capitalize()])

    def limit(self) -> str:
        return self.r.choice(
            [
                f"LIMIT {self.i()}",
                f"LIMIT {self.i()}, {self.i()}",
                f"LIMIT {self.i()},{self.i()}",
                f"LIMIT {self.i()} OFFSET {self.i()}",
            ]
        )

    def asc(self) -> str:
        return self.r.choice([" ASC", ""])


P = "`shop_product`"
PCOLS = f"{P}.`id`, {P}.`name`, {P}.`slug`, {P}.`price`, {P}.`stock`, {P}.`category_id`"
U = "`auth_user`"
UCOLS = f"{U}.`id`, {U}.`password`, {U}.`last_login`, {U}.`is_superuser`, {U}.`username`"
C = "`shop_cartitem`"
ORD = "`shop_order`"

Shape = Callable[[Gen], str]
SHAPES: list[Shape] = [
    # Django ORM, as the MySQL backend renders it.
    lambda g: f"SELECT {UCOLS} FROM {U} WHERE {U}.`username` = {g.s()} LIMIT 21",
    lambda g: f"SELECT {UCOLS} FROM {U} WHERE {U}.`id` = {g.i()} LIMIT 21",
    lambda g: f"UPDATE {U} SET `last_login` = {g.date()} WHERE {U}.`id` = {g.i()}",
    lambda g: (
        "SELECT `django_session`.`session_key`, `django_session`.`session_data`, "
        f"`django_session`.`expire_date` FROM `django_session` WHERE (`django_session`.`expire_date`"
        f" > {g.date()} AND `django_session`.`session_key` = {g.s()}) LIMIT 21"
    ),
    lambda g: (
        "INSERT INTO `django_session` (`session_key`, `session_data`, `expire_date`) "
        f"VALUES ({g.s()}, {g.s()}, {g.date()})"
    ),
    lambda g: f"DELETE FROM `django_session` WHERE `django_session`.`session_key` IN ({g.strs()})",
    lambda g: f"SELECT {PCOLS} FROM {P} WHERE {P}.`id` = {g.i()} LIMIT 21",
    lambda g: f"SELECT {PCOLS} FROM {P} WHERE {P}.`slug` = {g.s()} LIMIT 21",
    lambda g: f"SELECT {PCOLS} FROM {P} WHERE {P}.`id` IN ({g.ints()})",
    lambda g: f"SELECT {PCOLS} FROM {P} WHERE {P}.`id` IN ({g.ints()}) ORDER BY {P}.`id`{g.asc()}",
    lambda g: f"SELECT COUNT(*) AS `__count` FROM {P} WHERE {P}.`is_active`",
    lambda g: (
        f"SELECT {PCOLS} FROM {P} WHERE {P}.`is_active` ORDER BY {P}.`created_at` DESC "
        f"LIMIT {g.i()} OFFSET {g.i()}"
    ),
    lambda g: (
        f"SELECT {PCOLS} FROM {P} WHERE {P}.`name` LIKE {g.s()} ORDER BY {P}.`name`"
        f"{g.asc()} LIMIT {g.i()}"
    ),
    lambda g: (
        f"SELECT {PCOLS} FROM {P} WHERE ({P}.`price` >= {g.f()} AND {P}.`price` <= "
        f"{g.f()} AND {P}.`stock` > {g.i()})"
    ),
    lambda g: (
        f"SELECT {PCOLS} FROM {P} INNER JOIN `shop_category` ON ({P}.`category_id` = "
        f"`shop_category`.`id`) WHERE `shop_category`.`slug` = {g.s()} ORDER BY {P}.`price` DESC"
    ),
    lambda g: (
        f"SELECT {PCOLS}, `shop_category`.`id`, `shop_category`.`name` FROM {P} LEFT OUTER "
        f"JOIN `shop_category` ON ({P}.`category_id` = `shop_category`.`id`) WHERE {P}.`id` = {g.i()}"
    ),
    lambda g: (
        "SELECT `shop_review`.`id`, `shop_review`.`product_id`, `shop_review`.`rating` FROM "
        f"`shop_review` WHERE `shop_review`.`product_id` IN ({g.ints()})"
    ),
    lambda g: (
        f"INSERT INTO {C} (`cart_id`, `product_id`, `quantity`, `added_at`) VALUES "
        f"({g.i()}, {g.i()}, {g.i()}, {g.date()})"
    ),
    lambda g: f"UPDATE {C} SET `quantity` = ({C}.`quantity` + {g.i()}) WHERE {C}.`id` = {g.i()}",
    lambda g: (
        f"UPDATE {P} SET `stock` = ({P}.`stock` - {g.i()}) WHERE ({P}.`id` = {g.i()} AND "
        f"{P}.`stock` >= {g.i()})"
    ),
    lambda g: f"DELETE FROM {C} WHERE {C}.`cart_id` = {g.i()}",
    lambda g: f"SELECT (1) AS `a` FROM `shop_cart` WHERE `shop_cart`.`user_id` = {g.i()} LIMIT 1",
    lambda g: (
        "INSERT INTO `shop_orderline` (`order_id`, `product_id`, `quantity`, `price`) "
        f"VALUES {g.rows(lambda: f'{g.i()}, {g.i()}, {g.i()}, {g.s()}')}"
    ),
    lambda g: (
        f"INSERT INTO {ORD} (`user_id`, `total`, `status`, `created_at`) VALUES ({g.i()}, "
        f"'{g.f()}', {g.s()}, {g.date()})"
    ),
    lambda g: (
        f"SELECT {ORD}.`status`, COUNT({ORD}.`id`) AS `n`, SUM({ORD}.`total`) AS `revenue` FROM "
        f"{ORD} WHERE {ORD}.`created_at` >= {g.date()} GROUP BY {ORD}.`status` HAVING COUNT({ORD}.`id`) > "
        f"{g.i()} ORDER BY NULL"
    ),
    lambda g: (
        f"SELECT {ORD}.`id`, {ORD}.`total` FROM {ORD} WHERE {ORD}.`user_id` = {g.i()} ORDER BY "
        f"{ORD}.`created_at` DESC FOR UPDATE"
    ),
    lambda g: (
        f"SELECT {ORD}.`id` FROM {ORD} WHERE {ORD}.`status` = {g.s()} LIMIT {g.i()} FOR UPDATE "
        "SKIP LOCKED"
    ),
    lambda g: f"SAVEPOINT `s1402{g.i()}_x1`",
    lambda g: f"RELEASE SAVEPOINT `s1402{g.i()}_x2`",
    lambda g: f"SELECT {PCOLS} FROM {P} WHERE NOT ({P}.`id` IN ({g.ints()}))",
    lambda g: (
        f"SELECT {PCOLS} FROM {P} WHERE {P}.`category_id` IN (SELECT U0.`id` FROM "
        f"`shop_category` U0 WHERE U0.`parent_id` = {g.i()})"
    ),
    lambda g: f"SELECT DISTINCT {P}.`category_id` FROM {P} WHERE {P}.`stock` = {g.i()}",
    lambda g: f"SELECT {PCOLS} FROM {P} WHERE {P}.`deleted_at` IS NULL AND {P}.`id` > {g.i()}",
    lambda g: (
        f"UPDATE {P} SET `deleted_at` = NULL, `name` = {g.s()} WHERE {P}.`id` IN ({g.ints()})"
    ),
    lambda g: (
        f"SELECT {PCOLS} FROM {P} WHERE {P}.`name` = {g.s()} /*controller='product',"
        "framework='django%3A4.2'*/"
    ),
    lambda g: (
        "SELECT `django_migrations`.`app`, `django_migrations`.`name` FROM "
        f"`django_migrations` WHERE `django_migrations`.`app` = {g.s()}"
    ),
    # Session and server chatter.
    lambda g: g.r.choice(["SET autocommit = 0", "SET autocommit = 1", "set autocommit=1"]),
    lambda g: g.kw("commit"),
    lambda g: g.kw("rollback"),
    lambda g: f"{g.kw('start')} {g.kw('transaction')}",
    lambda g: "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
    lambda g: g.r.choice(["SELECT @@SQL_AUTO_IS_NULL", "select @@sql_auto_is_null"]),
    lambda g: "SELECT VERSION()",
    lambda g: g.r.choice(["SET NAMES 'utf8mb4'", "SET NAMES 'utf8'", 'SET NAMES "latin1"']),
    lambda g: f"USE {g.r.choice(['shop', 'shop_test', '`shop2`', 'db1', 'Shop'])}",
    lambda g: f"SHOW VARIABLES LIKE {g.s()}",
    lambda g: "SHOW FULL COLUMNS FROM `shop_product`",
    lambda g: f"SELECT GET_LOCK({g.s()}, {g.i()})",
    lambda g: "LOCK TABLES `t1` WRITE, t2 READ",
    lambda g: "UNLOCK TABLES",
    lambda g: f"SELECT {g.i()}",
    lambda g: "SELECT NOW(), CURRENT_TIMESTAMP",
    # Hand-written application SQL.
    lambda g: (
        f"select * from orders where customer_id = {g.i()} and status in ({g.strs()}) "
        f"order by created_at desc {g.limit()}"
    ),
    lambda g: f"SELECT id, name FROM table1 WHERE col_2 = {g.i()} AND col3 > {g.f()}",
    lambda g: f"SELECT id, name FROM table2 WHERE col_2 = {g.i()} AND col3 > {g.f()}",
    lambda g: (
        f"SELECT t1.id, t2.val FROM table1 t1 JOIN table2 t2 ON t1.id = t2.t1_id WHERE "
        f"t2.val BETWEEN {g.i()} AND {g.i()}"
    ),
    lambda g: f"SELECT a1, b2c3 FROM t4 WHERE d5 = {g.i()} AND e6_7 <> {g.i()}",
    lambda g: f"SELECT * FROM `db1`.`table_2` WHERE `col3` = {g.i()}",
    lambda g: f"SELECT * FROM users WHERE email = {g.ds()}",
    lambda g: f"SELECT * FROM users WHERE email = {g.ds()} OR login = {g.s()}",
    lambda g: f"SELECT * FROM t WHERE a = {g.neg()} AND b > {g.f()} AND c < {g.f()}",
    lambda g: f"SELECT * FROM t WHERE a = {g.i()} AND b = {g.neg()}",
    lambda g: f"SELECT * FROM t WHERE a={g.neg()} AND b=+{g.i()}",
    lambda g: f"SELECT * FROM events WHERE ts >= DATE_SUB(NOW(), INTERVAL {g.i()} DAY)",
    lambda g: f"SELECT * FROM events WHERE created BETWEEN {g.date()} AND {g.date()}",
    lambda g: f"SELECT * FROM logs WHERE msg LIKE {g.s()} {g.limit()}",
    lambda g: f"SELECT * FROM logs ORDER BY id DESC {g.limit()}",
    lambda g: f"SELECT * FROM logs WHERE level = {g.s()} ORDER BY ts{g.asc()}, id DESC {g.limit()}",
    lambda g: f"SELECT * FROM logs ORDER BY ts{g.asc()}, id{g.asc()}",
    lambda g: f"SELECT * FROM logs LIMIT {g.i()} , {g.i()}",
    lambda g: f"SELECT a FROM t1 UNION SELECT a FROM t2 WHERE x = {g.i()}",
    lambda g: f"SELECT id FROM t WHERE x = {g.i()} UNION ALL SELECT id FROM t WHERE x = {g.i()}",
    lambda g: " UNION ".join(
        f"SELECT id FROM t WHERE y = {g.s()}" for _ in range(g.r.randint(2, 4))
    ),
    # pt-fingerprint's file reader skips statements that start with "(" or a comment.
    lambda g: (
        f"SELECT * FROM ((SELECT id FROM a WHERE x = {g.i()}) UNION (SELECT id FROM b WHERE "
        f"x = {g.i()})) u"
    ),
    lambda g: (
        f"SELECT * FROM (SELECT id FROM t WHERE x = {g.i()} UNION SELECT id FROM t WHERE x = "
        f"{g.i()}) u WHERE u.id > {g.i()}"
    ),
    lambda g: f"SELECT name FROM a UNION SELECT name FROM a{g.r.randint(2, 9)}",
    lambda g: (
        f"INSERT INTO counters (name, hits) VALUES ({g.s()}, {g.i()}) ON DUPLICATE KEY "
        f"UPDATE hits = hits + {g.i()}"
    ),
    lambda g: (
        f"INSERT INTO counters (name, hits) VALUES {g.rows(lambda: f'{g.s()}, {g.i()}')} ON "
        "DUPLICATE KEY UPDATE hits = VALUES(hits)"
    ),
    lambda g: (
        f"INSERT INTO stats (day, n) VALUES ({g.date()}, {g.i()}) AS new ON DUPLICATE KEY "
        "UPDATE n = new.n"
    ),
    lambda g: f"REPLACE INTO kv (k, v) VALUES ({g.s()}, {g.s()})",
    lambda g: f"REPLACE INTO kv (k, v) VALUES {g.rows(lambda: f'{g.s()}, {g.s()}')}",
    lambda g: f"REPLACE INTO kv SET k = {g.s()}, v = {g.s()}",
    lambda g: f"INSERT IGNORE INTO tags (name) VALUES {g.rows(g.s)}",
    lambda g: f"INSERT INTO tags SET name = {g.s()}, weight = {g.f()}",
    lambda g: f"INSERT INTO audit (user_id, at) VALUES {g.rows(lambda: f'{g.i()}, NOW()')}",
    lambda g: (
        f"INSERT INTO audit (user_id, note, at) VALUES ({g.i()}, {g.s()}, NOW()), ({g.i()}, "
        f"{g.s()}, NOW()) ON DUPLICATE KEY UPDATE at = NOW()"
    ),
    lambda g: f"INSERT INTO archive SELECT * FROM orders WHERE created_at < {g.date()}",
    lambda g: f"INSERT INTO t VALUES ({g.i()}, {g.s()}, {g.f()}, NULL)",
    lambda g: f"INSERT INTO t (a, b) VALUE {g.rows(lambda: f'{g.i()}, {g.i()}')}",
    lambda g: f"UPDATE accounts SET balance = balance - {g.f()} WHERE id = {g.i()}",
    lambda g: f"UPDATE posts SET views = views+1 WHERE id = {g.i()}",
    lambda g: f"UPDATE t SET score = score * {g.f()}, note = {g.ds()} WHERE id = {g.i()}",
    lambda g: f"UPDATE t SET a = NULL, b = {g.s()} WHERE id IN ({g.ints()})",
    lambda g: f"UPDATE t1 JOIN t2 ON t1.id = t2.t1_id SET t1.x = {g.i()} WHERE t2.y = {g.s()}",
    lambda g: f"DELETE FROM sessions WHERE expires < {g.i()} LIMIT {g.i()}",
    lambda g: f"DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.t1_id WHERE t2.x = {g.i()}",
    lambda g: f"CALL refresh_stats({g.i()}, {g.s()})",
    lambda g: f"call app.cleanup({g.i()})",
    lambda g: f"CALL report ({g.i()}, {g.s()})",
    lambda g: f"SELECT * FROM t WHERE flags & {g.i()} = {g.i()}",
    lambda g: f"SELECT HEX(x), UNHEX({g.s()}) FROM t WHERE id = {g.i()}",
    lambda g: f"SELECT * FROM t WHERE uuid = UUID_TO_BIN({g.s()})",
    lambda g: f"SELECT JSON_EXTRACT(data, '$.a') FROM t WHERE id = {g.i()}",
    lambda g: f"SELECT * FROM t WHERE a IS NULL AND b IS NOT NULL AND c = {g.i()}",
    lambda g: f"SELECT * FROM t WHERE (a, b) IN (({g.i()}, {g.i()}), ({g.i()}, {g.i()}))",
    lambda g: f"SELECT CASE WHEN x > {g.i()} THEN {g.s()} ELSE {g.s()} END AS k FROM t",
    lambda g: (
        f"SELECT COALESCE(a, {g.i()}), IFNULL(b, {g.s()}) FROM t WHERE c IN ({g.ints()}, NULL)"
    ),
    lambda g: f"SELECT * FROM t WHERE a = {g.i()} -- {g.r.choice(['trailing', 'why not'])}",
    lambda g: f"SELECT * FROM t WHERE a = {g.i()} # hash {g.i()}",
    lambda g: f"SELECT /* inline {g.i()} */ * FROM t WHERE a = {g.i()}",
    lambda g: f"SELECT /*+ MAX_EXECUTION_TIME({g.i()}) */ id FROM big WHERE k = {g.s()}",
    lambda g: f"SELECT /*!40001 SQL_NO_CACHE */ a FROM t WHERE b = {g.i()}",
    lambda g: f"SELECT a,{g.ws()}b{g.ws()}FROM t{g.ws()}WHERE c = {g.i()}",
    lambda g: f"SELECT a -- first column{NEWLINE_MARK}FROM t WHERE b = {g.s()}",
    lambda g: f"SELECT a # why{NEWLINE_MARK}FROM t WHERE b IN ({g.ints()})",
    lambda g: (
        f"{g.kw('select')} a {g.kw('from')} t {g.kw('where')} b = {g.i()} {g.kw('and')} "
        f"c {g.kw('in')} ({g.strs()})"
    ),
    lambda g: f"SELECT sha2({g.s()}, 256) AS h",
    lambda g: f"SELECT * FROM t WHERE price > {g.f()} AND qty < {g.i()}",
    lambda g: f"SELECT * FROM t WHERE x = -{g.i()} OR y = {g.f()}",
    lambda g: f"SELECT * FROM t WHERE ts > UNIX_TIMESTAMP() - {g.i()}",
    lambda g: f"SELECT x/{g.i()}, y*{g.i()} FROM t",
    lambda g: f"SELECT * FROM t WHERE a = {g.i()} OR a = {g.i()}",
    lambda g: f"SELECT * FROM t WHERE a IN ({g.i()})",
    lambda g: f"SELECT * FROM t WHERE a NOT IN ({g.ints()})",
    lambda g: (
        f"SELECT * FROM t WHERE a IN (SELECT b FROM u WHERE c = {g.i()} AND d IN ({g.ints()}))"
    ),
    lambda g: f"SELECT COUNT(*) FROM t WHERE a = {g.i()} GROUP BY b WITH ROLLUP",
    lambda g: f"EXPLAIN SELECT * FROM t WHERE a = {g.i()}",
    lambda g: (
        f"WITH cte AS (SELECT id FROM t WHERE x > {g.i()}) SELECT * FROM cte WHERE id < {g.i()}"
    ),
    lambda g: (
        f"SELECT id, ROW_NUMBER() OVER (PARTITION BY a ORDER BY b DESC) rn FROM t WHERE c = {g.i()}"
    ),
    lambda g: f"SELECT CONVERT({g.s()} USING utf8mb4)",
    lambda g: f"SELECT * FROM t WHERE a = _utf8mb4{g.s()} COLLATE utf8mb4_unicode_ci",
    lambda g: f"SELECT * FROM t WHERE b = x'{g.r.choice(['1f', 'ff00', 'deadbeef'])}'",
    lambda g: f"SELECT * FROM t WHERE b = 0x{g.r.choice(['1f', 'ff00', 'deadbeef'])}",
    lambda g: f"SELECT * FROM t WHERE flags = b'{g.r.choice(['1', '0101', '111'])}'",
    lambda g: f"SELECT * FROM t WHERE id = {g.i()} LOCK IN SHARE MODE",
    lambda g: f"SELECT * FROM docs WHERE MATCH(title) AGAINST({g.s()} IN BOOLEAN MODE)",
    lambda g: f"SELECT * FROM t WHERE a = {g.i()} AND b = {g.r.choice(['TRUE', 'FALSE'])}",
    lambda g: (
        "CREATE TABLE t1 (id INT(11) NOT NULL AUTO_INCREMENT, name VARCHAR(255) DEFAULT "
        f"{g.s()}, PRIMARY KEY (id))"
    ),
    lambda g: f"ALTER TABLE t ADD COLUMN c2 INT DEFAULT {g.i()}",
    lambda g: "DROP TABLE IF EXISTS tmp_1",
    lambda g: "TRUNCATE TABLE `shop_cartitem`",
    lambda g: f"SELECT * FROM t WHERE name = {g.s()} COLLATE utf8mb4_bin",
    lambda g: f"SELECT @rank := @rank + {g.i()} AS r FROM t",
    lambda g: f"SELECT * FROM t WHERE a LIKE {g.s()} AND b NOT LIKE {g.ds()}",
    lambda g: f"SELECT 'a' 'b', {g.s()}",
    # Doubled quotes inside a collapsed row list agree with pt-fingerprint (no deviation).
    lambda g: "INSERT INTO t (a) VALUES ('O''Neil'), ('D''Arcy')",
]

# pt-fingerprint is wrong for these (see docs/fingerprinting.md); test_fingerprint.py asserts
# our output for each explicitly.
DEVIATIONS = [
    "SELECT * FROM users WHERE last_name = 'O''Neil'",
    "SELECT * FROM users WHERE last_name = 'Smith' OR nick = 'it''s'",
    'SELECT * FROM t WHERE quote = "say ""hi"""',
    "SELECT * FROM t WHERE b = 0x1F",
    "SELECT * FROM t WHERE b = 0xDEADBEEF AND c = 7",
    "SELECT * FROM t WHERE b = X'1F'",
    "SELECT * FROM t WHERE flags = B'0101'",
    "SELECT * FROM t WHERE x = 1.5E-3 OR y = 2E10",
    "SELECT * FROM t WHERE path = 'C:\\\\' AND id = 7",
    "SELECT * FROM t WHERE a = 7 -- it's a comment",
    "INSERT INTO t (a, b) VALUES ('x),(y', 1)",
]


def generate() -> list[str]:
    statements: dict[str, None] = {}  # ordered set: shapes without literals repeat
    for index, shape in enumerate(SHAPES):
        g = Gen(index)
        statements.update((shape(g), None) for _ in range(VARIANTS))
    statements.update((s, None) for s in DEVIATIONS)
    return list(statements)


def main() -> None:
    header = [
        "## SQL corpus for tests/sql/test_fingerprint.py, written by tests/sql/make_sql_corpus.py.",
        "## One statement per line, without a trailing ';'. The character '\u23ce' (U+23CE)",
        "## stands for a newline inside a statement. Lines starting with '##' and empty lines",
        "## are ignored.",
    ]
    CORPUS.write_text("\n".join([*header, *generate()]) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
