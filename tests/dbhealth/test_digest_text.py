"""The joining rule on fixed DIGEST_TEXT strings: each digest, rewritten by
``statement_of_digest``, fingerprints like the statement the application sent.

MariaDB's strings were copied from ``events_statements_summary_by_digest`` of MariaDB 10.11
(tests/dbhealth/test_digest_match.py checks the same against the live server). The MySQL 8
strings follow MySQL 8.0's digest conventions (sql/gen_lex_token.cc, sql/sql_digest.cc): every
token separated by a space, ``?`` for values, ``IN (...)`` for an IN list, ``?, ...`` for a run
of values, ``(...) /* , ... */`` for several VALUES rows, identifiers backquoted, a keyword with
several spellings printed in the last one (``DISTINCTROW``), ``NULL`` kept after ``IS`` only.
No rule touches the span side: ``fingerprint`` itself is unchanged.
"""

from __future__ import annotations

import pytest

from e2e_otel.dbhealth.digests import statement_of_digest
from e2e_otel.sql.fingerprint import fingerprint, fingerprint_id

P = "`shop_product`"
# (pattern, DIGEST_TEXT, the SQL the application sent)
MARIADB = [
    (
        "DISTINCT is DISTINCTROW",
        f"SELECT DISTINCTROW {P} . `supplier_code` AS `supplier_code` FROM {P} ORDER BY ? ASC LIMIT ? ",
        f"SELECT DISTINCT {P}.`supplier_code` AS `supplier_code` FROM {P} ORDER BY 1 ASC LIMIT 5",
    ),
    (
        "COUNT(DISTINCT)",
        "SELECT `shop_category` . `name` AS `name` , COUNT ( DISTINCTROW `shop_product` . `id` ) "
        "AS `n` FROM `shop_category` LEFT OUTER JOIN `shop_product` ON ( `shop_category` . `id` "
        "= `shop_product` . `category_id` ) GROUP BY `shop_category` . `id` ",
        "SELECT `shop_category`.`name` AS `name`, COUNT(DISTINCT `shop_product`.`id`) AS `n` "
        "FROM `shop_category` LEFT OUTER JOIN `shop_product` ON (`shop_category`.`id` = "
        "`shop_product`.`category_id`) GROUP BY `shop_category`.`id`",
    ),
    (
        "backquoted LOWER",
        f"SELECT `LOWER` ( {P} . `name` ) AS `lname` FROM {P} ORDER BY {P} . `id` ASC LIMIT ? ",
        f"SELECT LOWER({P}.`name`) AS `lname` FROM {P} ORDER BY {P}.`id` ASC LIMIT 3",
    ),
    (
        "backquoted UPPER, LIKE BINARY",
        f"SELECT {P} . `id` , `UPPER` ( {P} . `sku` ) AS `uname` FROM {P} WHERE `UPPER` ( "
        f"{P} . `sku` ) LIKE BINARY ? ORDER BY {P} . `id` ASC LIMIT ? ",
        f"SELECT {P}.`id`, UPPER({P}.`sku`) AS `uname` FROM {P} WHERE UPPER({P}.`sku`) "
        "LIKE BINARY %s ORDER BY " + P + ".`id` ASC LIMIT 4",
    ),
    (
        "COALESCE, a negative number",
        "SELECT COALESCE ( `shop_review` . `user_id` , - ? ) AS `who` FROM `shop_review` ",
        "SELECT COALESCE(`shop_review`.`user_id`, -1) AS `who` FROM `shop_review`",
    ),
    (
        "nested CONCAT_WS, a run of two values",
        f"SELECT `CONCAT_WS` ( ? , {P} . `sku` , `CONCAT_WS` ( ?, ... , {P} . `name` ) ) AS "
        f"`label` FROM {P} ",
        f"SELECT CONCAT_WS('', {P}.`sku`, CONCAT_WS('', ' ', {P}.`name`)) AS `label` FROM {P}",
    ),
    (
        "SUBSTRING with two values",
        f"SELECT DISTINCTROW SUBSTRING ( {P} . `sku` , ?, ... ) AS `p` FROM {P} ",
        f"SELECT DISTINCT SUBSTRING({P}.`sku`, 1, 3) AS `p` FROM {P}",
    ),
    (
        "IN list, one item and several",
        f"SELECT {P} . `sku` AS `sku` FROM {P} WHERE {P} . `id` IN (?) AND {P} . `stock` IN (...) ",
        f"SELECT {P}.`sku` AS `sku` FROM {P} WHERE {P}.`id` IN (%s, %s, %s) AND {P}.`stock` IN (%s)",
    ),
    (
        "multi-row INSERT ... RETURNING",
        "INSERT INTO `shop_orderitem` ( `order_id` , `quantity` ) VALUES (...) /* , ... */ "
        "RETURNING `shop_orderitem` . `id` ",
        "INSERT INTO `shop_orderitem` (`order_id`, `quantity`) VALUES (%s, %s), (%s, %s) "
        "RETURNING `shop_orderitem`.`id`",
    ),
    (
        "single-row INSERT ... RETURNING",
        "INSERT INTO `shop_cart` ( `user_id` , `updated_at` ) VALUES (...) RETURNING "
        "`shop_cart` . `id` ",
        "INSERT INTO `shop_cart` (`user_id`, `updated_at`) VALUES (%s, %s) RETURNING "
        "`shop_cart`.`id`",
    ),
    (
        "Django's subquery alias U0, EXISTS",
        f"SELECT {P} . `id` AS `id` FROM {P} WHERE EXISTS ( SELECT ? AS `a` FROM `shop_review` "
        f"`U0` WHERE `U0` . `product_id` = ( {P} . `id` ) LIMIT ? ) ORDER BY ? ASC LIMIT ? ",
        f"SELECT {P}.`id` AS `id` FROM {P} WHERE EXISTS(SELECT 1 AS `a` FROM `shop_review` U0 "
        f"WHERE U0.`product_id` = ({P}.`id`) LIMIT 1) ORDER BY 1 ASC LIMIT 3",
    ),
    (
        "Now() is NOW (?)",
        f"SELECT {P} . `id` AS `id` FROM {P} WHERE {P} . `created_at` <= NOW (?) LIMIT ? ",
        f"SELECT {P}.`id` AS `id` FROM {P} WHERE {P}.`created_at` <= CURRENT_TIMESTAMP(6) LIMIT 1",
    ),
    (
        "Cast to char is CHARACTER, DECIMAL (...)",
        f"SELECT CAST ( {P} . `stock` AS CHARACTER ) AS `s` , CAST ( {P} . `price` AS DECIMAL (...) "
        f") FROM {P} ",
        f"SELECT CAST({P}.`stock` AS char) AS `s`, CAST({P}.`price` AS decimal(10, 2)) FROM {P}",
    ),
    (
        "REGEXP is RLIKE",
        f"SELECT {P} . `id` FROM {P} WHERE {P} . `sku` RLIKE BINARY ? ",
        f"SELECT {P}.`id` FROM {P} WHERE {P}.`sku` REGEXP BINARY %s",
    ),
    (
        "LIMIT n, m and LIMIT n OFFSET m, IS NULL, TRUE",
        f"SELECT `id` FROM {P} WHERE `description` IS NULL OR TRUE LIMIT ?, ... ",
        f"SELECT `id` FROM {P} WHERE `description` IS NULL OR TRUE LIMIT 2, 3",
    ),
    (
        "LIMIT OFFSET, comments removed",
        f"SELECT `id` FROM {P} ORDER BY `id` LIMIT ? OFFSET ? ",
        f"SELECT `id` FROM {P} -- first\nORDER BY `id` LIMIT 1 OFFSET 2",
    ),
    (
        "a comment, COUNT(*), a value NULL",
        f"SELECT COUNT ( * ) FROM {P} WHERE `stock` > ? AND `description` <=> ? ",
        f"SELECT /* stock */ COUNT(*) FROM {P} WHERE `stock` > %s AND `description` <=> NULL",
    ),
    (
        "AS aliases, GROUP BY/ORDER BY positions",
        "SELECT `shop_pageview` . `path` AS `path` , COUNT ( `shop_pageview` . `id` ) AS `views` "
        "FROM `shop_pageview` WHERE `shop_pageview` . `referrer` = ? GROUP BY ? ORDER BY ? "
        "DESC , ? ASC ",
        "SELECT `shop_pageview`.`path` AS `path`, COUNT(`shop_pageview`.`id`) AS `views` FROM "
        "`shop_pageview` WHERE `shop_pageview`.`referrer` = %s GROUP BY 1 ORDER BY 2 DESC, 1 ASC",
    ),
    (
        "UPDATE with F()",
        f"UPDATE {P} SET `stock` = ( {P} . `stock` - ? ) WHERE {P} . `id` = ? ",
        f"UPDATE {P} SET `stock` = ({P}.`stock` - %s) WHERE {P}.`id` = %s",
    ),
    (
        "COUNT of a DISTINCT queryset: Django's unquoted derived table `subquery`",
        f"SELECT COUNT ( * ) FROM ( SELECT DISTINCTROW {P} . `id` AS `col1` , {P} . `sku` AS "
        f"`col2` FROM {P} WHERE {P} . `price` > ? ) `subquery` ",
        f"SELECT COUNT(*) FROM (SELECT DISTINCT {P}.`id` AS `col1`, {P}.`sku` AS `col2` FROM {P} "
        f"WHERE {P}.`price` > %s) subquery",
    ),
    (
        "COUNT of a sliced queryset, subquery",
        f"SELECT COUNT ( * ) FROM ( SELECT {P} . `id` AS `col1` FROM {P} ORDER BY {P} . `id` DESC "
        "LIMIT ? OFFSET ? ) `subquery` ",
        f"SELECT COUNT(*) FROM (SELECT {P}.`id` AS `col1` FROM {P} ORDER BY {P}.`id` DESC "
        "LIMIT 10 OFFSET 20) subquery",
    ),
    (
        "window function: OVER ( is not a call",
        f"SELECT {P} . `id` , ROW_NUMBER ( ) OVER ( PARTITION BY {P} . `category_id` ORDER BY "
        f"{P} . `price` DESC ) AS `rank` FROM {P} ",
        f"SELECT {P}.`id`, ROW_NUMBER() OVER (PARTITION BY {P}.`category_id` ORDER BY "
        f"{P}.`price` DESC) AS `rank` FROM {P}",
    ),
    (
        "EXTRACT(MONTH ...) is SQL_TSI_MONTH",
        f"SELECT {P} . `id` FROM {P} WHERE EXTRACT ( SQL_TSI_MONTH FROM {P} . `created` ) >= ? ",
        f"SELECT {P}.`id` FROM {P} WHERE EXTRACT(MONTH FROM {P}.`created`) >= %s",
    ),
    (
        "TruncWeek: INTERVAL ... DAY is SQL_TSI_DAY",
        f"SELECT CAST ( `DATE_FORMAT` ( DATE_SUB ( {P} . `created` , INTERVAL `WEEKDAY` ( {P} . "
        "`created` ) SQL_TSI_DAY ) , ? ) AS DATETIME ) AS `week` FROM " + P + " ",
        f"SELECT CAST(DATE_FORMAT(DATE_SUB({P}.`created`, INTERVAL WEEKDAY({P}.`created`) DAY), "
        f"'%Y-%m-%d 00:00:00') AS DATETIME) AS `week` FROM {P}",
    ),
    (
        "other interval units, YEAR and WEEK printed as sent",
        f"SELECT EXTRACT ( SQL_TSI_QUARTER FROM {P} . `created` ) AS `q` , EXTRACT ( YEAR FROM "
        f"{P} . `created` ) AS `y` , EXTRACT ( SQL_TSI_HOUR FROM {P} . `created` ) AS `h` , "
        f"EXTRACT ( WEEK FROM {P} . `created` ) AS `w` , EXTRACT ( SQL_TSI_MINUTE FROM {P} . "
        f"`created` ) AS `mi` , EXTRACT ( SQL_TSI_SECOND FROM {P} . `created` ) AS `s` FROM {P} "
        f"WHERE {P} . `created` >= DATE_SUB ( NOW (?) , INTERVAL ? SQL_TSI_DAY ) ",
        f"SELECT EXTRACT(QUARTER FROM {P}.`created`) AS `q`, EXTRACT(YEAR FROM {P}.`created`) AS "
        f"`y`, EXTRACT(HOUR FROM {P}.`created`) AS `h`, EXTRACT(WEEK FROM {P}.`created`) AS `w`, "
        f"EXTRACT(MINUTE FROM {P}.`created`) AS `mi`, EXTRACT(SECOND FROM {P}.`created`) AS `s` "
        f"FROM {P} WHERE {P}.`created` >= DATE_SUB(CURRENT_TIMESTAMP(6), INTERVAL 7 DAY)",
    ),
]
MYSQL8 = [
    (
        "DISTINCTROW, IN (...) for one item",
        f"SELECT DISTINCTROW {P} . `category_id` FROM {P} WHERE {P} . `id` IN (...) ORDER BY "
        f"{P} . `id` LIMIT ?",
        f"SELECT DISTINCT {P}.`category_id` FROM {P} WHERE {P}.`id` IN (%s) ORDER BY {P}.`id` "
        "LIMIT 21",
    ),
    (
        "backquoted native functions",
        f"SELECT `LOWER` ( {P} . `name` ) , `UPPER` ( {P} . `sku` ) , `COALESCE` ( {P} . "
        f"`description` , ? ) , COUNT ( * ) FROM {P} GROUP BY `LOWER` ( {P} . `name` ) , `UPPER` "
        f"( {P} . `sku` ) , `COALESCE` ( {P} . `description` , ? )",
        f"SELECT LOWER({P}.`name`), UPPER({P}.`sku`), COALESCE({P}.`description`, ''), COUNT(*) "
        f"FROM {P} GROUP BY LOWER({P}.`name`), UPPER({P}.`sku`), COALESCE({P}.`description`, '')",
    ),
    (
        "optimizer hint kept by MySQL 8",
        f"SELECT /*+ MAX_EXECUTION_TIME (?) */ `id` FROM {P} WHERE `sku` = ?",
        f"SELECT /*+ MAX_EXECUTION_TIME(1000) */ `id` FROM {P} WHERE `sku` = 'a'",
    ),
    (
        "multi-row INSERT ... ON DUPLICATE KEY UPDATE",
        f"INSERT INTO {P} ( `sku` , `stock` ) VALUES (...) /* , ... */ ON DUPLICATE KEY UPDATE "
        "`stock` = VALUES ( `stock` )",
        f"INSERT INTO {P} (`sku`, `stock`) VALUES ('a', 1), ('b', 2) ON DUPLICATE KEY UPDATE "
        "`stock` = VALUES(`stock`)",
    ),
    (
        "single-value rows",
        "INSERT INTO `t` ( `a` ) VALUES (?) /* , ... */",
        "INSERT INTO `t` (`a`) VALUES (1), (2), (3)",
    ),
    (
        "qualified table before a column list is not a call",
        "INSERT INTO `shop` . `t` ( `a` , `b` ) VALUES (...)",
        "INSERT INTO `shop`.`t` (`a`, `b`) VALUES (1, 2)",
    ),
    (
        "NULL, TRUE, negative numbers",
        f"SELECT `id` FROM {P} WHERE `description` IS NOT NULL AND `active` = TRUE AND `stock` > "
        "- ? AND `x` = ?",
        f"SELECT `id` FROM {P} WHERE `description` IS NOT NULL AND `active` = TRUE AND `stock` > "
        "-5 AND `x` = NULL",
    ),
    (
        "join aliases T3",
        f"SELECT {P} . `id` FROM {P} INNER JOIN `shop_review` `T3` ON ( {P} . `id` = `T3` . "
        "`product_id` ) WHERE `T3` . `rating` >= ?",
        f"SELECT {P}.`id` FROM {P} INNER JOIN `shop_review` T3 ON ({P}.`id` = T3.`product_id`) "
        "WHERE T3.`rating` >= %s",
    ),
    (
        "bare CURRENT_TIMESTAMP, DATABASE()",
        "SELECT `table_name` FROM `information_schema` . `tables` WHERE `table_schema` = SCHEMA "
        "( ) AND `create_time` < NOW",
        "SELECT `table_name` FROM `information_schema`.`tables` WHERE `table_schema` = DATABASE() "
        "AND `create_time` < CURRENT_TIMESTAMP",
    ),
]


@pytest.mark.parametrize(
    ("digest_text", "sent"),
    [pytest.param(d, s, id=f"mariadb: {name}") for name, d, s in MARIADB]
    + [pytest.param(d, s, id=f"mysql8: {name}") for name, d, s in MYSQL8],
)
def test_digest_fingerprints_like_the_statement_sent(digest_text: str, sent: str) -> None:
    statement = statement_of_digest(digest_text)
    assert fingerprint(statement) == fingerprint(sent)
    assert fingerprint_id(statement) == fingerprint_id(sent)


def test_busiest_statement_of_the_issue() -> None:
    # DISTINCT and a backquoted function together: 1,350 calls with a different id before.
    digest_text = (
        "SELECT DISTINCTROW `LOWER` ( `auth_user` . `email` ) AS `e` FROM `auth_user` WHERE "
        "`auth_user` . `is_active` AND `LOWER` ( `auth_user` . `email` ) IN (...) "
    )
    sent = (
        "SELECT DISTINCT LOWER(`auth_user`.`email`) AS `e` FROM `auth_user` WHERE "
        "`auth_user`.`is_active` AND LOWER(`auth_user`.`email`) IN (%s, %s)"
    )
    assert fingerprint_id(statement_of_digest(digest_text)) == fingerprint_id(sent)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT `distinctrow_count` , `now` , `rlike` FROM `t`",  # identifiers keep their names
        "SELECT `sql_tsi_day` , `subquery` . `over` FROM ( SELECT ? ) `subquery`",
        "INSERT INTO `t` ( `a` ) VALUES (?)",  # a table before its column list stays quoted
        "CREATE TABLE `t` ( `a` INTEGER )",
        "WITH `c` ( `a` ) AS ( SELECT ? ) SELECT `a` FROM `c`",
    ],
)
def test_identifiers_are_not_rewritten(text: str) -> None:
    statement = statement_of_digest(text)
    for name in ("`distinctrow_count`", "`now`", "`rlike`", "`t`", "`c`", "`sql_tsi_day`"):
        if name in text:
            assert name in statement


def test_unquoted_raw_sql_is_a_known_non_match() -> None:
    # The server quotes identifiers that are not keywords; the span keeps the SQL's own quoting.
    digest_text = "SELECT COUNT ( * ) FROM `shop_product` WHERE `stock` > ? "
    assert fingerprint_id(statement_of_digest(digest_text)) != fingerprint_id(
        "SELECT COUNT(*) FROM shop_product WHERE stock > 0"
    )
    assert fingerprint_id(statement_of_digest(digest_text)) == fingerprint_id(
        "SELECT COUNT(*) FROM `shop_product` WHERE `stock` > 0"
    )
