"""The ``--dsn`` (``mysql://user:pass@host:port/db``) and the PyMySQL connection it opens.

The DSN is printed as :meth:`Dsn.redacted`, never with its password, and driver errors are
scrubbed of the password before they are raised again (:meth:`Dsn.scrub`, which leaves a short
password, or one equal to the user or database name, unmasked).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

import pymysql

from e2e_otel.errors import UserError
from e2e_otel.sources.redact import PERCENT_ENCODING, unencoded_userinfo

DEFAULT_PORT = 3306
#: Passwords shorter than this are not masked in messages: as text they are too common to
#: mask without mangling ordinary words, and too short to be a secret worth the name.
MIN_SCRUBBED = 4
_UNENCODED_HINT = (
    "{flag}: the user or password seems to hold a character that must be percent-encoded "
    f"{PERCENT_ENCODING}; or pass the password with {{password_flag}}"
)
CONNECT_TIMEOUT_S = 5
#: Each statement the checks run is bounded by this, server-side (seconds).
STATEMENT_TIMEOUT_S = 10.0


class DbHealthError(UserError):
    """Ends ``db health`` with exit code 2; the message is one line, the DSN redacted."""


class DsnError(DbHealthError):
    """The ``--dsn`` cannot be read."""


class ConnectError(DbHealthError):
    """The server refused or did not answer. ``code`` is the MySQL error number, if any."""

    def __init__(self, dsn: str, code: int | None, reason: str) -> None:
        super().__init__(f"cannot connect to {dsn}: {reason}")
        self.dsn = dsn
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Dsn:
    host: str
    port: int
    user: str
    database: str
    password: str = field(default="", repr=False)

    def redacted(self) -> str:
        """The DSN with the password replaced by ``***``: safe to print."""
        secret = ":***" if self.password else ""
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 address
        return f"mysql://{self.user}{secret}@{host}:{self.port}/{self.database}"

    def scrub(self, text: str) -> str:
        """``text`` with the password masked where it stands as a token of its own, not
        inside a longer word (a password ``shop`` leaves ``shop_project`` alone). Not masked
        at all: a password shorter than :data:`MIN_SCRUBBED`, or one equal to the user or
        database name — those are printed in the redacted DSN anyway, so masking them would
        mangle the names a message is about without hiding anything."""
        secret = self.password
        if len(secret) < MIN_SCRUBBED or secret in (self.user, self.database):
            return text
        # Word boundaries only where the password itself starts or ends with a word character.
        before = r"(?<!\w)" if re.match(r"\w", secret) else ""
        after = r"(?!\w)" if re.match(r"\w", secret[-1]) else ""
        return re.sub(before + re.escape(secret) + after, "***", text)


def parse_dsn(text: str, flag: str = "--dsn", password_flag: str = "--password-env") -> Dsn:
    """Read ``mysql://user:pass@host:port/db`` (user, password and db percent-decoded).

    Errors name the command-line options the DSN and the password came from (``flag``,
    ``password_flag``)."""
    parts = urlsplit(text)
    if parts.scheme not in {"mysql", "mariadb"}:
        raise DsnError(f"{flag} must look like mysql://user:pass@host:port/db")
    try:
        return _dsn(parts, flag)
    except DsnError:
        # "/", "?" or "#" in a password ends the host part early: the real cause, not the
        # missing host or the bad port it looks like.
        if unencoded_userinfo(text):
            hint = _UNENCODED_HINT.format(flag=flag, password_flag=password_flag)
            raise DsnError(hint) from None
        raise


def _dsn(parts: SplitResult, flag: str) -> Dsn:
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise DsnError(f"{flag} has an invalid port") from None
    database = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not parts.username or not database:
        reason = "needs a user, a host and a database: mysql://user:pass@host:port/db"
        raise DsnError(f"{flag} {reason}")
    return Dsn(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username),
        database=database,
        password=unquote(parts.password or ""),
    )


def connect(dsn: Dsn) -> pymysql.connections.Connection[Any]:
    """An autocommit connection, or :class:`ConnectError` with a one-line reason."""
    try:
        return pymysql.connect(
            host=dsn.host,
            port=dsn.port,
            user=dsn.user,
            password=dsn.password,
            database=dsn.database,
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=int(STATEMENT_TIMEOUT_S * 3),
            autocommit=True,
            charset="utf8mb4",
        )
    except pymysql.err.MySQLError as exc:
        code, reason = error_parts(exc)
        raise ConnectError(dsn.redacted(), code, dsn.scrub(reason)) from None


def error_parts(exc: Exception) -> tuple[int | None, str]:
    """(MySQL error number, one-line message) of a PyMySQL error."""
    args = exc.args
    if len(args) >= 2 and isinstance(args[0], int):
        return args[0], f"({args[0]}) {' '.join(str(args[1]).split())}"
    return None, " ".join(str(exc).split()) or type(exc).__name__
