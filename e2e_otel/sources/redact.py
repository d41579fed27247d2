"""Secrets out of messages: URLs without their user and password, known secrets blanked.
Standard library only, so the command line can use it without the backends' dependencies."""

from __future__ import annotations

from collections.abc import Iterable

#: Characters that end the host part of a URL early when left unencoded in a password.
UNENCODED = "/?#"
#: How to write them (and ``@``) in a user or password, for error messages.
PERCENT_ENCODING = "('/' as %2F, '?' as %3F, '#' as %23, '@' as %40)"


def split_userinfo(url: str) -> tuple[str, str, str]:
    """``url`` as (``scheme://``, ``user:password@``, the rest). The user part runs to the
    last ``@``, so a password holding an unencoded ``/``, ``?``, ``#`` or ``@`` is still all
    of it (a URL parser would read part of it as the host or the path). The middle is empty
    when no ``@`` follows the scheme."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url, "", ""
    user, _, host = rest.rpartition("@")
    return scheme + sep, user + "@", host


def redact_url(url: str) -> str:
    """``url`` with the user and password it carries replaced by ``***`` (for messages)."""
    prefix, userinfo, rest = split_userinfo(url)
    return f"{prefix}***@{rest}" if userinfo else url


def without_userinfo(url: str) -> str:
    """``url`` without its ``user:password@`` part (unchanged when it has none)."""
    prefix, _, rest = split_userinfo(url)
    return prefix + rest


def unencoded_userinfo(url: str) -> bool:
    """Whether the user or password of ``url`` holds a character that must be percent-encoded
    for the URL to mean what it says (``/`` as %2F, ``?`` as %3F, ``#`` as %23)."""
    return any(char in split_userinfo(url)[1] for char in UNENCODED)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
