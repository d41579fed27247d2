"""SQL statement fingerprints: the ``e2e.db.fingerprint`` contract (docs/attributes.md).

A fingerprint is the statement with every literal and placeholder replaced by ``?``, IN lists
and multi-row VALUES collapsed, comments removed, whitespace folded and everything lower-cased,
so that statements differing only in their values share one fingerprint. Grouping follows
``pt-fingerprint --match-embedded-numbers`` (percona-toolkit), except for the deliberate
deviations listed in ``docs/fingerprinting.md``.

All public functions accept ``str`` or ``bytes`` (decoded as UTF-8 with replacement), never
raise, and read at most :data:`MAX_STATEMENT_CHARS` of their input.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Final

__all__ = ["MAX_STATEMENT_CHARS", "fingerprint", "fingerprint_id", "strip_literals"]

MAX_STATEMENT_CHARS: Final = 64 * 1024
"""Input beyond this many characters (bytes, for ``bytes`` input) is ignored."""

# Statements up to this length are cached; longer ones (bulk INSERTs) rarely repeat and would
# make the cache's memory unbounded in practice.
_CACHED_MAX_CHARS: Final = 8 * 1024
_CACHE_SIZE: Final = 2048

_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"

# One left-to-right pass that recognises everything whose inside must not be read as SQL
# (comments, strings, backticked identifiers) plus the literal-like tokens. Each alternative
# starts on a distinct character, and the quoted forms use unrolled loops, so the scan is
# linear even on unterminated input (an unterminated token runs to the end of the text).
_LEXER: Final = re.compile(
    rf"""
    (?=[-/\#'"`xXbB0-9+.%$:nN])            # cheap rejection of the characters no token starts with
    (?:
    (?P<comment>
        /\*(?!!)[\s\S]*?(?:\*/|\Z)        # block comment; /*! ... */ is executable SQL
      | \#[^\n]*
      | --(?=\s|\Z)[^\n]*                 # MySQL needs whitespace after --
    )
  | (?P<string>
        (?:(?<![\w$])[xXbB])?             # x'1F' hex and b'01' bit literals
        '[^'\\]*(?:(?:\\[\s\S]?|'')[^'\\]*)*(?:'|\Z)
      | "[^"\\]*(?:(?:\\[\s\S]?|"")[^"\\]*)*(?:"|\Z)
    )
  | (?P<ident>`[^`]*(?:``[^`]*)*(?:`|\Z))
  | (?P<number>
        (?:[+-](?=[0-9])|(?<![\w$.]))     # a sign glued to the digits belongs to the literal
        (?:0x[0-9a-fA-F]+|0b[01]+|{_NUMBER})
        (?:[+-]{_NUMBER})*                # 1-2 is one literal, as pt-fingerprint has it
        (?![\w$])                         # 123abc is an identifier, not a number
    )
  | (?P<placeholder>
        %\(\w+\)s | %s(?![\w$])           # pyformat / format
      | (?<![\w$])\$[0-9]+                # numeric
      | (?<![\w$:]):(?:[A-Za-z_]\w*|[0-9]+)  # named
    )
  | (?P<null>(?<![\w$])(?i:null)(?![\w$]))
    )
    """,
    re.VERBOSE,
)

_MYSQLDUMP: Final = "SELECT /*!40001 SQL_NO_CACHE */ * FROM `"
_ADMIN: Final = "administrator command:"
_CALL: Final = re.compile(r"call\s+([^\s(]+)\(", re.IGNORECASE)
_USE: Final = re.compile(r"use \S+", re.IGNORECASE)
_INSERT_INTO: Final = re.compile(r"(?:insert|replace)(?:\s+ignore)?\s+into\b", re.IGNORECASE)
_VALUES_OPEN: Final = re.compile(r"\bvalues\s*\(")
_ROW_SEPARATOR: Final = re.compile(r"\)\s*,\s*\(")
# These start with a literal word and check the word boundary behind it, which lets the regex
# engine jump straight to candidates instead of trying every position.
_LIST: Final = re.compile(r"(in(?<!\win)|value(?<!\wvalue)s?)(?:[\s,]*\([\s?,]*\))+")
_UNION: Final = re.compile(r"(select(?<!\wselect)\s.*?)(?:(\sunion(?:\sall)?)\s\1)+")
_LIMIT: Final = re.compile(r"limit(?<!\wlimit) \?(?:, ?\?| offset \?)?")
_ORDER_BY: Final = re.compile(r"order by(?<!\worder by)\b")
_ASC: Final = re.compile(r" asc\b")
# _UNION's lazy scan with a backreference costs about (number of SELECTs) x (length) steps;
# past this budget (~10 ms) the collapse is skipped so a pathological statement stays cheap.
_UNION_MAX_WORK: Final = 1 << 18


def fingerprint(sql: str | bytes) -> str:
    """The normalized statement, grouped the way ``pt-fingerprint`` groups statements.

    ``SELECT * FROM t WHERE id IN (1, 2, 3) LIMIT 10`` and
    ``select * from t where id in (%s) limit %s`` both become
    ``select * from t where id in(?+) limit ?``.

    Only the first :data:`MAX_STATEMENT_CHARS` characters of a statement are read (bytes are
    cut before decoding), so work and memory stay bounded on multi-megabyte input. Results for
    statements up to 8 KiB are cached (LRU, 2048 entries). Never raises.
    """
    return _fingerprint_and_id(_coerce(sql))[0]


def fingerprint_id(sql: str | bytes) -> str:
    """16 lowercase hex chars: BLAKE2b (8-byte digest) of the UTF-8 encoded fingerprint.

    Equal for all statements that share a fingerprint, and stable across processes and
    versions of Python. Never raises.
    """
    return _fingerprint_and_id(_coerce(sql))[1]


def strip_literals(sql: str | bytes) -> str:
    """The statement as written, with every string and number literal replaced by ``?``.

    Meant for ``db.statement`` / ``db.query.text`` so that literal values never leave the
    process: comments are removed (they may carry values too), unterminated strings are
    replaced up to the end, placeholders, identifiers, ``NULL`` and letter case are kept, and
    a sign glued to a number stays (``-5`` becomes ``-?``). Truncated like :func:`fingerprint`.
    Never raises.
    """
    text = _coerce(sql)
    if len(text) <= _CACHED_MAX_CHARS:
        return _strip_cached(text)
    return _strip(text)


def _coerce(sql: object) -> str:
    """Exactly-``str`` text of at most MAX_STATEMENT_CHARS characters; junk becomes ``""``."""
    if isinstance(sql, str):
        # str.__str__ makes a str subclass (custom __hash__, __getitem__...) a plain str.
        return str.__str__(sql)[:MAX_STATEMENT_CHARS]
    if isinstance(sql, (bytes, bytearray, memoryview)):
        try:  # through the buffer protocol, so no Python-level hook of a subclass runs
            raw = memoryview(sql).cast("B")[:MAX_STATEMENT_CHARS].tobytes()
        except (TypeError, ValueError):  # released or non-contiguous memoryview
            return ""
        return raw.decode("utf-8", errors="replace")
    return ""


def _fingerprint_and_id(text: str) -> tuple[str, str]:
    if len(text) <= _CACHED_MAX_CHARS:
        return _fingerprint_and_id_cached(text)
    return _compute_fingerprint_and_id(text)


def _compute_fingerprint_and_id(text: str) -> tuple[str, str]:
    normalized = _normalize(text)
    digest = hashlib.blake2b(normalized.encode("utf-8", "surrogatepass"), digest_size=8)
    return normalized, digest.hexdigest()


_fingerprint_and_id_cached = functools.lru_cache(maxsize=_CACHE_SIZE)(_compute_fingerprint_and_id)


def _fingerprint_token(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind == "comment":
        return ""
    if kind == "ident":
        return match.group()
    return "?"


def _strip_token(match: re.Match[str]) -> str:
    kind = match.lastgroup
    token = match.group()
    if kind == "comment":
        return " "
    if kind == "string":
        return "?"
    if kind == "number":
        return token[0] + "?" if token[0] in "+-" else "?"
    return token


def _strip(text: str) -> str:
    return _LEXER.sub(_strip_token, text).strip()


_strip_cached = functools.lru_cache(maxsize=_CACHE_SIZE)(_strip)


def _normalize(sql: str) -> str:
    sql = sql.strip().rstrip(";").rstrip()
    # Whole-statement forms pt-fingerprint recognises before looking at tokens.
    if sql.startswith(_MYSQLDUMP):
        return "mysqldump"
    if sql[: len(_ADMIN)].lower() == _ADMIN:
        return sql
    call = _CALL.match(sql)
    if call:
        return "call " + call.group(1).lower()
    if _USE.fullmatch(sql):
        return "use ?"

    text = " ".join(_LEXER.sub(_fingerprint_token, sql).split()).lower()
    if _INSERT_INTO.match(sql):
        text = _first_row_only(text)
    text = _LIST.sub(r"\1(?+)", text)
    if " union " in text and text.count("select") * len(text) <= _UNION_MAX_WORK:
        text = _UNION.sub(r"\1 /*repeat\2*/", text)
    text = _LIMIT.sub("limit ?", text)
    order_by = _ORDER_BY.search(text)
    if order_by:
        text = text[: order_by.end()] + _ASC.sub("", text[order_by.end() :])
    return text


def _first_row_only(text: str) -> str:
    """Cut a multi-row INSERT/REPLACE after its first row, as pt-fingerprint does.

    Whatever follows the rows (``ON DUPLICATE KEY UPDATE ...``) goes too; a single-row
    statement is left whole.
    """
    values = _VALUES_OPEN.search(text)
    if values is None:
        return text
    separator = _ROW_SEPARATOR.search(text, values.end())
    return text if separator is None else text[: separator.start() + 1]
