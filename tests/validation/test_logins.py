"""Logins and plans on hand-made answers (httpx.MockTransport): a session login must set a
session, the plan picks the login an endpoint accepts, and the table puts 5xx first."""

from __future__ import annotations

import httpx
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from e2e_otel.config import Config
from e2e_otel.discovery.django_models import DjangoDiscovery, DjangoEndpoint, Operation
from e2e_otel.validation.models import (
    AuthSettings,
    CheckResult,
    Credentials,
    Plan,
    SessionLogin,
    TestRequest,
    TokenLogin,
    ValidationReport,
)
from e2e_otel.validation.plan import build_plan
from e2e_otel.validation.report import render_table
from e2e_otel.validation.requests_yaml import RequestsFile
from e2e_otel.validation.runner import Runner
from e2e_otel.validation.tracing import check_tracing
from tests.validation.harness import GENEROUS

AUTHN = "rest_framework.authentication."
LOGGED_IN = ("rest_framework.permissions.IsAuthenticated",)
CREDENTIALS = Credentials("reader", "secret")


def run(plan: Plan, handler: httpx.MockTransport) -> ValidationReport:
    tracing = check_tracing(Config(), [InMemorySpanExporter()], batch=False)
    try:
        return Runner("http://api.test", GENEROUS, tracing, transport=handler).run(plan)
    finally:
        tracing.shutdown()


def test_a_json_login_answering_200_without_a_session_fails() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/login/":
            return httpx.Response(200, json={"detail": "checked"})  # no login(): no cookie
        return httpx.Response(200, json={"me": "reader"})

    auth = AuthSettings(CREDENTIALS, session=SessionLogin("/api/login/"))
    me = TestRequest("me", "GET", "/api/me/", (200,), auth="session")
    report = run(Plan((me,), auth), httpx.MockTransport(answer))
    login, check = report.checks
    assert (login.name, login.status, login.status_code) == ("login: session", "fail", 200)
    assert login.errors == ("answered 200 but set no session cookie: not logged in",)
    assert check.status == "fail" and check.status_code is None  # never sent


def test_a_json_login_that_sets_a_session_passes_and_sends_it() -> None:
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/login/":
            return httpx.Response(200, headers={"Set-Cookie": "sessionid=abc; Path=/"})
        seen.append(request.headers.get("Cookie"))
        return httpx.Response(200)

    auth = AuthSettings(CREDENTIALS, session=SessionLogin("/api/login/"))
    me = TestRequest("me", "GET", "/api/me/", (200,), auth="session")
    report = run(Plan((me,), auth), httpx.MockTransport(answer))
    assert [c.status for c in report.checks] == ["pass", "pass"]
    assert seen == ["sessionid=abc"]


def test_a_token_from_the_environment_goes_in_its_header() -> None:
    headers: list[tuple[str | None, str | None]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        headers.append((request.headers.get("Authorization"), request.headers.get("X-Key")))
        return httpx.Response(200)

    auth = AuthSettings(
        Credentials("", ""),
        token=TokenLogin(token="t0k"),
        header=TokenLogin(header="X-Key", prefix="", token="k3y"),
    )
    checks = (
        TestRequest("token", "GET", "/a/", (200,), auth="token"),
        TestRequest("header", "GET", "/b/", (200,), auth="header"),
    )
    assert run(Plan(checks, auth), httpx.MockTransport(answer)).exit_code() == 0
    assert headers == [("Token t0k", None), (None, "k3y")]


def endpoint(
    template: str, authentication: tuple[str, ...], login: str | None = None
) -> DjangoEndpoint:
    op = Operation(
        "GET", "get", authentication=authentication, permissions=LOGGED_IN, login_url=login
    )
    if login is not None:
        op = Operation("GET", "page", login_url=login)
    return DjangoEndpoint(template, template, None, "v." + template, "apiview", {}, (op,))


def test_the_plan_logs_in_the_way_each_endpoint_accepts() -> None:
    discovery = DjangoDiscovery("s", "5.2", "3.16", (
        endpoint("api/books/", (AUTHN + "TokenAuthentication", AUTHN + "SessionAuthentication")),
        endpoint("api/feed/", ("partners.auth.PartnerKeyAuthentication",)),
        endpoint("api/web/", (AUTHN + "SessionAuthentication",)),
        endpoint("shelf/", (), login="/accounts/login/"),
    ), {})  # fmt: skip
    auth = AuthSettings(
        CREDENTIALS,
        session=SessionLogin("/accounts/login/", form=True),
        token=TokenLogin(token="t"),
        header=TokenLogin(header="X-Partner-Key", prefix="", token="k"),
    )
    plan = build_plan(discovery, RequestsFile("f.yaml", auth=auth))
    checks = [(r.template, r.auth, r.expected_status, r.redirect_to) for r in plan.requests]
    assert checks == [
        ("api/books/", "none", (401, 403), None),
        ("api/books/", "token", (200,), None),
        ("api/feed/", "none", (401, 403), None),
        ("api/feed/", "header", (200,), None),
        ("api/web/", "none", (401, 403), None),
        ("api/web/", "session", (200,), None),
        ("shelf/", "none", (302,), "/accounts/login/"),
        ("shelf/", "session", (200,), None),
    ]


def test_a_redirect_elsewhere_than_the_login_page_fails() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "/maintenance/"})

    page = TestRequest("p", "GET", "/shelf/", (302,), redirect_to="/accounts/login/")
    (check,) = run(Plan((page,)), httpx.MockTransport(answer)).checks
    assert check.errors == ("redirected to /maintenance/, not to /accounts/login/",)


def test_the_table_lists_server_errors_first() -> None:
    def result(name: str, status: str, code: int | None) -> CheckResult:
        return CheckResult(name, "GET", "u", status, (200,), status_code=code)  # type: ignore[arg-type]

    checks = (
        result("ok", "pass", 200),
        result("slow", "warning", 200),
        result("denied", "fail", 403),
        result("boom", "fail", 500),
        result("down", "fail", None),
        result("bad gateway", "fail", 502),
    )
    table = render_table(ValidationReport("u", 1, 2, checks)).splitlines()[1:-1]
    names = [line.rsplit("  ", 1)[1] for line in table]
    assert names == ["boom", "bad gateway", "denied", "down", "slow", "ok"]
