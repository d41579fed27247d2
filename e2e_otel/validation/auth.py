"""Logging in the way a browser app does, once per mode, each login step a check of its own.

Session: see :mod:`e2e_otel.validation.session_login` (a JSON login view or Django's form
``LoginView``); unsafe requests then echo the ``csrftoken`` cookie in ``X-CSRFToken``. JWT:
obtain the token pair, refresh it, send the refreshed access token as ``Authorization:
Bearer``. Expired JWT: the access token's own claims, expired, signed with the server's key —
so the server sees a token it would accept but for its age. Token: ``Authorization: Token
...`` (DRF's ``TokenAuthentication``) from the environment or an obtain endpoint. Header: a
custom header (``X-Api-Key``) whose value comes from the environment.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import httpx

from e2e_otel.validation.models import (
    SAFE_METHODS,
    AuthMode,
    AuthSettings,
    CheckResult,
    TestRequest,
    TokenLogin,
)
from e2e_otel.validation.session_login import Check, csrf_headers, session_login

_DIGESTS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}

Send = Callable[
    [httpx.Client, TestRequest, Mapping[str, str]], tuple[CheckResult, httpx.Response | None]
]
Record = Callable[[CheckResult], None]


class LoginError(Exception):
    """A login mode is unusable; ``str()`` is one line saying why."""


@dataclass(frozen=True)
class Caller:
    """A client (with its cookie jar) and the credential header it sends, if any."""

    client: httpx.Client
    header: tuple[str, str] | None = None

    @property
    def bearer(self) -> str | None:
        """The JWT access token sent, if this caller sends one."""
        if self.header is None or not self.header[1].startswith("Bearer "):
            return None
        return self.header[1].removeprefix("Bearer ")

    def headers(self, method: str) -> dict[str, str]:
        """Credentials for one request: the header, and the CSRF token on unsafe methods."""
        headers = dict([self.header]) if self.header is not None else {}
        if method.upper() not in SAFE_METHODS:
            headers.update(csrf_headers(self.client))
        return headers


class Authenticator:
    """Hands out a :class:`Caller` per mode, logging in on first use.

    ``send`` performs and evaluates one traced request; ``record`` keeps each login step's
    result. A failed login is remembered: later checks in that mode fail with its reason.
    """

    def __init__(
        self,
        settings: AuthSettings | None,
        new_client: Callable[[], httpx.Client],
        send: Send,
        record: Record,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._new_client = new_client
        self._send = send
        self._record = record
        self._now = now
        self._callers: dict[AuthMode, Caller] = {}
        self._failed: dict[AuthMode, str] = {}

    def caller(self, mode: AuthMode) -> Caller:
        """The caller for ``mode``; raises :class:`LoginError` if it cannot log in."""
        if mode in self._failed:
            raise LoginError(self._failed[mode])
        if mode not in self._callers:
            try:
                self._callers[mode] = self._login(mode)
            except LoginError as exc:
                self._failed[mode] = str(exc)
                raise
        return self._callers[mode]

    def close(self) -> None:
        for caller in self._callers.values():
            caller.client.close()

    def _login(self, mode: AuthMode) -> Caller:
        if mode == "none":
            return Caller(self._new_client())
        settings = self._settings
        if settings is None:
            raise LoginError(f"auth {mode!r} needs an auth section in the requests file")
        credentials = {
            settings.credentials.username_field: settings.credentials.username,
            "password": settings.credentials.password,
        }
        if mode == "session":
            if settings.session is None:
                raise LoginError("auth 'session' needs auth.session in the requests file")
            client = self._new_client()
            session_login(client, settings.session, credentials, self._step)
            return Caller(client)
        if mode in ("token", "header"):
            login = settings.token if mode == "token" else settings.header
            if login is None:
                raise LoginError(f"auth {mode!r} needs auth.{mode} in the requests file")
            return self._token_caller(login, credentials)
        if settings.jwt is None:
            raise LoginError(f"auth {mode!r} needs auth.jwt in the requests file")
        if mode == "jwt":
            client = self._new_client()
            jwt = settings.jwt
            obtain = TestRequest(
                "login: jwt obtain", "POST", jwt.obtain_path, (200,), json=credentials
            )
            access = self._tokens(client, obtain, ("access", "refresh"))
            if jwt.refresh_path is not None:
                body = {"refresh": access["refresh"]}
                refresh = TestRequest(
                    "login: jwt refresh", "POST", jwt.refresh_path, (200,), json=body
                )
                access = self._tokens(client, refresh, ("access",))
            return Caller(client, ("Authorization", f"Bearer {access['access']}"))
        if settings.signing_key is None:
            raise LoginError("auth 'expired_jwt' needs auth.jwt.signing_key_env")
        valid = self.caller("jwt").bearer or ""
        token = expired_token(valid, settings.signing_key, settings.jwt.algorithm, self._now())
        return Caller(self._new_client(), ("Authorization", f"Bearer {token}"))

    def _token_caller(self, login: TokenLogin, credentials: Mapping[str, str]) -> Caller:
        client = self._new_client()
        token = login.token
        if token is None and login.obtain_path is not None:
            obtain = TestRequest(
                "login: token obtain", "POST", login.obtain_path, (200,), json=credentials
            )
            token = self._tokens(client, obtain, ("token",))["token"]
        return Caller(client, (login.header, login.value(token or "")))

    def _tokens(
        self, client: httpx.Client, request: TestRequest, names: tuple[str, ...]
    ) -> dict[str, str]:
        """One login step whose JSON answer must hold the string fields ``names``."""
        found: dict[str, str] = {}

        def has_tokens(response: httpx.Response) -> str | None:
            data = _json(response)
            found.update((k, v) for k in names if isinstance(v := data.get(k), str))
            missing = [k for k in names if k not in found]
            return f"the answer has no {missing[0]!r} token" if missing else None

        self._step(client, request, {}, has_tokens)
        return found

    def _step(
        self,
        client: httpx.Client,
        request: TestRequest,
        headers: Mapping[str, str],
        check: Check,
        *,
        fatal: bool = True,
    ) -> httpx.Response | None:
        """Send one login step, judge it (and ``check`` its answer), record it."""
        result, response = self._send(
            client, request, {**Caller(client).headers(request.method), **headers}
        )
        if response is not None and result.status != "fail":
            error = check(response)
            if error is not None:
                result = replace(result, status="fail", errors=(*result.errors, error))
        self._record(result)
        if result.status == "fail" and fatal:
            raise LoginError(f"{request.name} failed: {'; '.join(result.errors)}")
        return response


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def expired_token(token: str, key: str, algorithm: str, now: float) -> str:
    """``token``'s claims with ``exp`` an hour before ``now``, signed with ``key`` (HMAC)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise LoginError(f"the access token is not a JWT ({type(exc).__name__})") from None
    if not isinstance(claims, dict):
        raise LoginError("the access token's claims are not a JSON object")
    issued = int(now) - 7200
    claims.update(iat=issued, exp=issued + 3600, jti=uuid.uuid4().hex)
    if "nbf" in claims:
        claims["nbf"] = issued
    signing_input = f"{_segment({'alg': algorithm, 'typ': 'JWT'})}.{_segment(claims)}"
    signature = hmac.new(key.encode(), signing_input.encode("ascii"), _DIGESTS[algorithm])
    return f"{signing_input}.{_b64url(signature.digest())}"


def _segment(data: Mapping[str, Any]) -> str:
    return _b64url(json.dumps(data, separators=(",", ":")).encode())


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
