"""Typed data of ``e2e-otel validate``: the requests it sends and what each check found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal

#: ``none``: anonymous; ``session``: Django session cookie (+ X-CSRFToken on unsafe methods);
#: ``jwt``: ``Authorization: Bearer`` with the access token obtained (and refreshed) at login;
#: ``expired_jwt``: a bearer token that is valid in every way except that it has expired;
#: ``token``: ``Authorization: Token ...`` (DRF ``TokenAuthentication``, or another prefix);
#: ``header``: a custom header (``X-Api-Key: ...``) a project's own authentication reads.
AuthMode = Literal["none", "session", "jwt", "expired_jwt", "token", "header"]
AUTH_MODES: tuple[AuthMode, ...] = ("none", "session", "jwt", "expired_jwt", "token", "header")
CheckStatus = Literal["pass", "warning", "fail"]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class TestRequest:
    """One request to send and the statuses that make it pass.

    ``path`` is concrete (path parameters already filled in) and relative to the base URL.
    """

    __test__: ClassVar[bool] = False  # not a pytest test class, despite the name

    name: str
    method: str
    path: str
    expected_status: tuple[int, ...]
    auth: AuthMode = "none"
    params: Mapping[str, str] = field(default_factory=dict)
    json: object | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    template: str | None = None  # the discovered endpoint's URL template, if any
    form: Mapping[str, str] | None = None  # a form-encoded body (a login form), instead of json
    # A redirect must go to this path (the login page an anonymous request is sent to).
    redirect_to: str | None = None


@dataclass(frozen=True)
class SessionLogin:
    """Django session login: optional GET for a CSRF cookie, then POST the credentials as
    JSON; with ``form``, Django's ``LoginView``: GET the form, POST it form-encoded."""

    login_path: str
    csrf_path: str | None = None
    form: bool = False


@dataclass(frozen=True)
class TokenLogin:
    """A token sent as ``{header}: {prefix} {token}``: from ``token_env``, or obtained by
    POSTing the credentials to ``obtain_path`` (DRF's ``obtain_auth_token``: ``{"token"}``)."""

    header: str = "Authorization"
    prefix: str = "Token"
    token: str | None = field(default=None, repr=False)
    obtain_path: str | None = None

    def value(self, token: str) -> str:
        return f"{self.prefix} {token}" if self.prefix else token


@dataclass(frozen=True)
class JwtLogin:
    """JWT token pair endpoints; ``signing_key_env`` enables the expired-token check."""

    obtain_path: str
    refresh_path: str | None = None
    signing_key_env: str | None = None
    algorithm: str = "HS256"


@dataclass(frozen=True)
class Credentials:
    """Resolved from the environment variables the YAML names; never written anywhere."""

    username: str
    password: str = field(repr=False)
    username_field: str = "username"


@dataclass(frozen=True)
class AuthSettings:
    """How to log in; ``default`` is the mode the default plan uses for protected endpoints."""

    credentials: Credentials
    session: SessionLogin | None = None
    jwt: JwtLogin | None = None
    signing_key: str | None = field(default=None, repr=False)
    token: TokenLogin | None = None
    header: TokenLogin | None = None  # a custom header, its value from the environment

    @property
    def default(self) -> AuthMode:
        return "jwt" if self.jwt is not None else "session"


@dataclass(frozen=True)
class Plan:
    """Everything one run sends, in order, and how to authenticate."""

    requests: tuple[TestRequest, ...]
    auth: AuthSettings | None = None


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one request (or one login step).

    ``errors`` make a check ``fail``; ``warnings`` (slow, but under critical) make it
    ``warning``. ``trace_id`` is the client span's trace, which the server joins through the
    ``traceparent`` header; ``server_joined`` says whether its ``traceresponse`` named it.
    """

    name: str
    method: str
    url: str
    status: CheckStatus
    expected_status: tuple[int, ...]
    auth: AuthMode = "none"
    status_code: int | None = None
    response_ms: float | None = None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    trace_id: str | None = None
    correlation_id: str | None = None
    server_joined: bool = False


@dataclass(frozen=True)
class ValidationReport:
    """All checks of one run against ``base_url``."""

    base_url: str
    warning_ms: float
    critical_ms: float
    checks: tuple[CheckResult, ...]

    def count(self, status: CheckStatus) -> int:
        return sum(1 for check in self.checks if check.status == status)

    def exit_code(self, fail_on: CheckStatus = "fail") -> int:
        """1 when a check failed (or, with ``fail_on="warning"``, warned), else 0."""
        failing = {"fail"} if fail_on == "fail" else {"fail", "warning"}
        return 1 if any(check.status in failing for check in self.checks) else 0
