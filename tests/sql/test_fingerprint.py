"""SQL fingerprints: grouping checked against pt-fingerprint on tests/sql/sql_corpus.txt."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from e2e_otel.sql.fingerprint import (
    MAX_STATEMENT_CHARS,
    fingerprint,
    fingerprint_id,
    strip_literals,
)

CORPUS = Path(__file__).with_name("sql_corpus.txt")
NEWLINE_MARK = "\u23ce"
HEX16 = re.compile(r"[0-9a-f]{16}")

# Corpus statements where pt-fingerprint is wrong for MySQL, with the fingerprint we give.
DEVIATIONS = {
    # A doubled quote escapes the quote: one literal, not two.
    "SELECT * FROM users WHERE last_name = 'O''Neil'": "select * from users where last_name = ?",
    "SELECT * FROM users WHERE last_name = 'Smith' OR nick = 'it''s'": (
        "select * from users where last_name = ? or nick = ?"
    ),
    'SELECT * FROM t WHERE quote = "say ""hi"""': "select * from t where quote = ?",
    # Hex, bit and upper-case exponent literals are one literal each.
    "SELECT * FROM t WHERE b = 0x1F": "select * from t where b = ?",
    "SELECT * FROM t WHERE b = 0xDEADBEEF AND c = 7": "select * from t where b = ? and c = ?",
    "SELECT * FROM t WHERE b = X'1F'": "select * from t where b = ?",
    "SELECT * FROM t WHERE flags = B'0101'": "select * from t where flags = ?",
    "SELECT * FROM t WHERE x = 1.5E-3 OR y = 2E10": "select * from t where x = ? or y = ?",
    # An escaped backslash before the closing quote does not escape the quote.
    "SELECT * FROM t WHERE path = 'C:\\\\' AND id = 7": "select * from t where path = ? and id = ?",
    # A comment is a comment even when it contains a quote.
    "SELECT * FROM t WHERE a = 7 -- it's a comment": "select * from t where a = ?",
    # Multi-row detection does not look inside strings.
    "INSERT INTO t (a, b) VALUES ('x),(y', 1)": "insert into t (a, b) values(?+)",
}


def load_corpus() -> list[str]:
    """Statements of sql_corpus.txt (format described in its header)."""
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [ln.replace(NEWLINE_MARK, "\n") for ln in lines if ln and not ln.startswith("##")]


def run_pt_fingerprint(statements: list[str]) -> list[str]:
    """pt-fingerprint's output for each statement, from one run over the whole list.

    Its file mode splits on ";\\n", so a sentinel statement after each one keeps the pairing
    exact even when it prints nothing (it skips statements starting with "(" or a comment).
    Trailing whitespace is dropped: pt keeps one space where a statement ended in a comment.
    """
    executable = shutil.which("pt-fingerprint")
    if executable is None:
        pytest.fail("install percona-toolkit: apt-get install percona-toolkit")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "corpus.sql")
        path.write_text(
            "".join(f"{s};\nselect e2e_sentinel_{i};\n" for i, s in enumerate(statements)),
            encoding="utf-8",
        )
        done = subprocess.run(
            [executable, "--match-embedded-numbers", str(path)], capture_output=True, check=True
        )
    results: list[str] = []
    pending: list[str] = []
    for line in done.stdout.decode("utf-8", errors="replace").splitlines():
        if line == f"select e2e_sentinel_{len(results)}":
            results.append("\n".join(pending).rstrip())
            pending = []
        else:
            pending.append(line)
    assert len(results) == len(statements), "pt-fingerprint output lost the sentinels"
    return results


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    statements = load_corpus()
    assert all(";\n" not in s for s in statements), "pt-fingerprint splits statements on ;\\n"
    return statements


@functools.cache
def pt_reference() -> dict[str, str]:
    """pt-fingerprint's output per corpus statement; called from tests so a missing tool FAILS."""
    statements = load_corpus()
    return dict(zip(statements, run_pt_fingerprint(statements), strict=True))


def test_corpus_is_large_and_varied(corpus: list[str]) -> None:
    assert len(corpus) >= 320
    assert len(set(corpus)) == len(corpus)
    assert len({fingerprint(s) for s in corpus}) >= 120


def test_grouping_equals_pt_fingerprint(corpus: list[str]) -> None:
    reference = pt_reference()
    plain = [s for s in corpus if s not in DEVIATIONS]
    assert all(reference[s] for s in plain), [s for s in plain if not reference[s]]
    ours_by_pt: defaultdict[str, set[str]] = defaultdict(set)
    pt_by_ours: defaultdict[str, set[str]] = defaultdict(set)
    for statement in plain:
        ours_by_pt[reference[statement]].add(fingerprint(statement))
        pt_by_ours[fingerprint(statement)].add(reference[statement])
    split = {pt: ours for pt, ours in ours_by_pt.items() if len(ours) > 1}
    merged = {ours: pts for ours, pts in pt_by_ours.items() if len(pts) > 1}
    assert not split, f"pt groups that we split: {split}"
    assert not merged, f"groups we merge that pt keeps apart: {merged}"
    assert len(ours_by_pt) >= 120  # the oracle is not vacuous


def test_fingerprint_text_equals_pt_fingerprint(corpus: list[str]) -> None:
    reference = pt_reference()
    differ = {
        s: (reference[s], fingerprint(s))
        for s in corpus
        if s not in DEVIATIONS and fingerprint(s) != reference[s]
    }
    assert not differ


@pytest.mark.parametrize("statement", sorted(DEVIATIONS))
def test_documented_deviations(statement: str, corpus: list[str]) -> None:
    assert statement in corpus
    assert fingerprint(statement) == DEVIATIONS[statement]
    assert pt_reference()[statement] != DEVIATIONS[statement], "not a deviation any more"


@pytest.mark.parametrize(
    ("literal", "deviant"),
    [
        ("SELECT * FROM t WHERE name = 'Smith'", "SELECT * FROM t WHERE name = 'O''Neil'"),
        ("SELECT * FROM t WHERE name = ''", "SELECT * FROM t WHERE name = ''''"),
        ("SELECT * FROM t WHERE b = 31", "SELECT * FROM t WHERE b = 0x1F"),
        ("SELECT * FROM t WHERE b = 31", "SELECT * FROM t WHERE b = X'1F'"),
        ("SELECT * FROM t WHERE b = 31", "SELECT * FROM t WHERE b = x'1f'"),
        ("SELECT * FROM t WHERE b = 5", "SELECT * FROM t WHERE b = b'101'"),
        ("SELECT * FROM t WHERE b = 5", "SELECT * FROM t WHERE b = 0b101"),
        ("SELECT * FROM t WHERE p = 'a'", "SELECT * FROM t WHERE p = 'C:\\\\'"),
        ("SELECT * FROM t WHERE p = 'a'", "SELECT * FROM t WHERE p = 'abc"),
    ],
)
def test_deviant_literals_group_with_plain_ones(literal: str, deviant: str) -> None:
    assert fingerprint(deviant) == fingerprint(literal)


@pytest.mark.parametrize(
    ("placeholders", "literals"),
    [
        ("SELECT * FROM t WHERE a = %s AND b = %s", "SELECT * FROM t WHERE a = 5 AND b = 'x'"),
        (
            "SELECT * FROM t WHERE a = %(a)s AND b = %(b_2)s",
            "SELECT * FROM t WHERE a = 5 AND b = 6",
        ),
        ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = 5 AND b = -6"),
        ("SELECT * FROM t WHERE a = :a AND b = :name2", "SELECT * FROM t WHERE a = 5 AND b = 6"),
        ("SELECT * FROM t WHERE a = :1 AND b = :2", "SELECT * FROM t WHERE a = 5 AND b = 6"),
        ("SELECT * FROM t WHERE a = $1 AND b = $2", "SELECT * FROM t WHERE a = 5 AND b = 6.5"),
        ("SELECT * FROM t WHERE a IN (%s, %s, %s)", "SELECT * FROM t WHERE a IN (1, 2)"),
        ("SELECT * FROM t WHERE a IN (?)", "SELECT * FROM t WHERE a IN ('x', 'y', 'z')"),
        ("SELECT * FROM t LIMIT %s OFFSET %s", "SELECT * FROM t LIMIT 10, 20"),
        ("SELECT * FROM t LIMIT ?, ?", "SELECT * FROM t LIMIT 10"),
        ("INSERT INTO t (a, b) VALUES (%s, %s)", "INSERT INTO t (a, b) VALUES (1, 'a'), (2, 'b')"),
        ("INSERT INTO t (a) VALUES ($1), ($2)", "INSERT INTO t (a) VALUES (1)"),
        ("CALL p(%s, %s)", "CALL p(1, 'a')"),
        ("SELECT * FROM t WHERE a LIKE %s", "SELECT * FROM t WHERE a LIKE 'abc%'"),
        ("UPDATE t SET a = %(a)s WHERE id = :id", "UPDATE t SET a = NULL WHERE id = 7"),
    ],
)
def test_placeholders_group_with_literals(placeholders: str, literals: str) -> None:
    assert fingerprint(placeholders) == fingerprint(literals)
    assert fingerprint_id(placeholders) == fingerprint_id(literals)


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("select a:=1, @v := 2", "select a:=?, @v := ?"),  # := is not a named placeholder
        ("select a % b, c%s", "select a % b, c?"),  # modulo stays; %s is always a parameter
        ("select a$1, `$1` from t", "select a$1, `$1` from t"),
        ("/* leading */ SELECT 1", "select ?"),
        ("SELECT 1;", "select ?"),
        ("SELECT 1 -- trailing", "select ?"),
        ("SELECT /*!40001 SQL_NO_CACHE */ * FROM `t`", "mysqldump"),
        ("administrator command: Ping", "administrator command: Ping"),
        ("use `Shop`", "use ?"),
        ("CALL p('a(b', f(1))", "call p"),
        (
            "select a from t where x = 1 union all select a from t where x = 2",
            "select a from t where x = ? /*repeat union all*/",
        ),
    ],
)
def test_fingerprint_examples(statement: str, expected: str) -> None:
    assert fingerprint(statement) == expected


def test_numbers_inside_identifiers_are_kept() -> None:
    statement = "SELECT t1.col_2, `table3`.`4x` FROM table1 t1 JOIN `table3` WHERE utf8mb4 = 5"
    assert fingerprint(statement) == (
        "select t1.col_2, `table3`.`4x` from table1 t1 join `table3` where utf8mb4 = ?"
    )
    assert fingerprint("SELECT a FROM table1") != fingerprint("SELECT a FROM table2")


def test_fingerprint_id_is_blake2b_of_the_fingerprint() -> None:
    # blake2b(b"select * from t where id = ?", digest_size=8)
    assert fingerprint_id("SELECT * FROM t WHERE id = 42") == "2074cf2f5ec6514f"
    assert fingerprint_id(b"select *   from t where id=42") != "2074cf2f5ec6514f"


def test_fingerprint_id_is_stable_across_processes() -> None:
    code = "from e2e_otel.sql.fingerprint import fingerprint_id; print(fingerprint_id('SELECT 1'))"
    ids = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert ids == {fingerprint_id("SELECT 1")}


def test_fingerprint_id_is_equal_within_a_group(corpus: list[str]) -> None:
    by_fingerprint: defaultdict[str, set[str]] = defaultdict(set)
    for statement in corpus:
        assert HEX16.fullmatch(fingerprint_id(statement))
        by_fingerprint[fingerprint(statement)].add(fingerprint_id(statement))
    assert all(len(ids) == 1 for ids in by_fingerprint.values())
    assert len({next(iter(ids)) for ids in by_fingerprint.values()}) == len(by_fingerprint)


def test_fingerprint_is_idempotent(corpus: list[str]) -> None:
    # A collapsed UNION reads "/*repeat union*/", a comment, so it is not a fixed point.
    for statement in corpus:
        once = fingerprint(statement)
        if "/*repeat" not in once:
            assert fingerprint(once) == once, statement


def test_strip_literals_keeps_the_statement_but_no_literal() -> None:
    statement = (
        "SELECT `t1`.`col_2`, table3.c4 FROM table1 t1 WHERE name = 'O''Neil' AND pw = \"s3cr3t\""
        " AND n IN (123456, -987654) AND f > 1.5e-3 AND b = x'CAFE' AND h = 0xBEEF"
        " AND esc = 'it\\'s 777' /* user=bob */ AND p = %s LIMIT 55, 66"
    )
    assert strip_literals(statement) == (
        "SELECT `t1`.`col_2`, table3.c4 FROM table1 t1 WHERE name = ? AND pw = ?"
        " AND n IN (?, -?) AND f > ? AND b = ? AND h = ?"
        " AND esc = ?   AND p = %s LIMIT ?, ?"
    )


def test_strip_literals_on_the_corpus(corpus: list[str]) -> None:
    for statement in corpus:
        stripped = strip_literals(statement)
        assert "'" not in stripped and '"' not in stripped, statement
        assert not re.search(r"(?<![\w$.`])[0-9]", stripped), statement
        for identifier in re.findall(r"\b[a-z_]\w*[0-9]\w*", fingerprint(statement)):
            assert identifier in stripped.lower(), (identifier, statement)


@given(
    value=st.integers(min_value=1000, max_value=10**12),
    text=st.text(max_size=20),
    quote=st.sampled_from(["'", '"']),
)
def test_strip_literals_leaks_no_generated_value(value: int, text: str, quote: str) -> None:
    body = text.replace("\\", "\\\\").replace(quote, quote * 2)
    statement = (
        f"UPDATE table1 SET col_2 = {quote}zq{body}{quote}, n = -{value} WHERE id IN ({value}, 1)"
    )
    stripped = strip_literals(statement)
    assert "zq" not in stripped and str(value) not in stripped
    assert stripped.startswith("UPDATE table1 SET col_2 = ?, n = -? WHERE id IN (?, ?)")


SQLISH = st.text(alphabet="'\"`\\/*-#?%$:(),.;xXbB0123456789eE+ \n\tselctINunioLMvaSq_@=")


@settings(max_examples=300)
@given(sql=st.one_of(st.text(), st.binary(), SQLISH))
def test_never_raises(sql: str | bytes) -> None:
    assert isinstance(fingerprint(sql), str)
    assert HEX16.fullmatch(fingerprint_id(sql))
    assert isinstance(strip_literals(sql), str)


@pytest.mark.parametrize(
    "junk",
    [
        None,
        42,
        object(),
        bytearray(b"SELECT 1"),
        memoryview(b"SELECT \xff\xfe 1"),
        "SELECT '\ud800'",
        "'" * 3_000_000,
        "SELECT " + "(" * 2_000_000,
        b"\x00\xff" * 1_500_000,
        'select "unterminated',
        "select 1 /* unterminated",
        "select `unterminated",
    ],
)
def test_junk_and_huge_input(junk: object) -> None:
    for function in (fingerprint, fingerprint_id, strip_literals):
        assert isinstance(function(junk), str)  # type: ignore[arg-type]


def test_huge_input_is_truncated() -> None:
    head = "SELECT * FROM t WHERE a IN (" + "1, " * (MAX_STATEMENT_CHARS // 3)
    assert fingerprint(head + "2) AND b = 'x'") == fingerprint(head + "3) OR c = 'y'")
    assert len(strip_literals("SELECT " + "a" * 10 * MAX_STATEMENT_CHARS)) == MAX_STATEMENT_CHARS
