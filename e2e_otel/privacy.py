"""What never leaves the process (docs/attributes.md, "Privacy"): one list of secret-looking
header names and the masks for values that database error text quotes.

Standard library only: the distro (before the SDK starts), the export-stage redaction enricher
and the tests all use these same definitions, so the header list cannot drift between them.
"""

from __future__ import annotations

import re
from typing import Final

#: A header whose name contains one of these words is never recorded (case-insensitive). Also
#: the value given to the contrib instrumentations' own sanitizer
#: (``OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS``), whose entries are searched
#: as regular expressions in the header name.
SECRET_HEADER_WORDS: Final = (
    "auth",
    "token",
    "secret",
    "password",
    "passwd",
    "csrf",
    "session",
    "cookie",
    "key",
    "signature",
)
_SECRET_HEADER = re.compile("|".join(SECRET_HEADER_WORDS), re.IGNORECASE)
#: Captured headers become ``http.request.header.<name>`` / ``http.response.header.<name>``.
HEADER_ATTRIBUTE_PREFIXES: Final = ("http.request.header.", "http.response.header.")

MASK: Final = "?"


def is_secret_header(name: str) -> bool:
    """Whether a header (any spelling: ``X-CSRFToken``, ``x_csrftoken``) may hold a secret."""
    return _SECRET_HEADER.search(name) is not None


def is_secret_header_attribute(key: str) -> bool:
    """Whether ``key`` is a captured header attribute whose header may hold a secret."""
    return key.startswith(HEADER_ATTRIBUTE_PREFIXES) and is_secret_header(
        key.rpartition(".header.")[2]
    )


# MySQL and MariaDB error messages quote values of the row or the statement:
#   1062  Duplicate entry 'alice' for key 'username'
#   1064  ... right syntax to use near 'WHERE sku = 'abc' LIMIT 1' at line 1
#   1292  Truncated incorrect DOUBLE value: 'abc'  |  Incorrect datetime value: 'x' for column
#   1366  Incorrect integer value: 'abc' for column `db`.`t`.`c` at row 1
#   1411  Incorrect datetime value: 'x' for function str_to_date
# The quoted text is masked up to the words that follow it in the server's message template
# (a value may itself hold quotes, which the server does not escape). In a Python repr of the
# error tuple the quotes may come backslash-escaped, so ``\\?'`` stands for a quote.
_Q = r"\\?'"
_DB_VALUE_PATTERNS: Final = (
    # The statement fragment after a syntax error, to "at line N" (it may span lines).
    re.compile(rf"(\bnear ){_Q}.*?{_Q}(?= at line \d+)", re.DOTALL),
    re.compile(rf"(\bDuplicate entry ){_Q}.*?{_Q}(?= for key\b)", re.DOTALL | re.IGNORECASE),
    re.compile(
        rf"(\bvalue:? ){_Q}.*?{_Q}(?= for (?:column|function)\b|\s*$|\s*[\"')\],]|\\n)",
        re.DOTALL | re.IGNORECASE | re.MULTILINE,
    ),
    re.compile(
        rf"(\bcharacter string: ){_Q}.*?{_Q}(?=\s*$|\s*[\"')\],]|\\n)", re.IGNORECASE | re.MULTILINE
    ),
    re.compile(rf"(\bIllegal \w+ ){_Q}.*?{_Q}(?= value found\b)", re.IGNORECASE),
)
# A cheap test first: most text (every successful span) has none of these words.
_DB_VALUE_HINT = re.compile(r"near |Duplicate entry|value|character string|Illegal ", re.IGNORECASE)


def mask_db_values(text: str) -> str:
    """``text`` with the values that MySQL/MariaDB error messages quote replaced by ``'?'``
    (codes, key, column and table names stay, so the error is still diagnosable)."""
    if _DB_VALUE_HINT.search(text) is None:
        return text
    for pattern in _DB_VALUE_PATTERNS:
        text = pattern.sub(_masked, text)
    return text


def _masked(match: re.Match[str]) -> str:
    return f"{match.group(1)}'{MASK}'"
