"""Secrets out of messages: URLs without their user and password, known secrets blanked.
Standard library only, so the command line can use it without the backends' dependencies."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit


def redact_url(url: str) -> str:
    """``url`` with the user and password it carries replaced by ``***`` (for messages)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an invalid URL)"
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]).geturl()


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
