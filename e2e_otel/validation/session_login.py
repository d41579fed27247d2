"""Django session logins, as a browser does them, each request a login step of its own.

A JSON login view: optionally GET a page that sets the ``csrftoken`` cookie, then POST the
credentials as JSON. Django's form ``LoginView`` (``form: true``): GET the form (which sets
the cookie and holds the ``csrfmiddlewaretoken`` field), POST it form-encoded with the token
and a same-origin ``Referer`` (Django's CSRF check wants one on HTTPS), expect the redirect
that means success, and follow it. Either way the login must set a cookie besides the CSRF
one — the session: a 200 without one (the form coming back with its errors, a JSON view
that checked the password but did not call ``login()``) fails, it never passes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Protocol

import httpx

from e2e_otel.validation.models import SessionLogin, TestRequest

CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "X-CSRFToken"
_FORM_TOKEN = re.compile(
    r"<input[^>]*?name=[\"']csrfmiddlewaretoken[\"'][^>]*?value=[\"']([^\"']+)[\"']"
    r"|<input[^>]*?value=[\"']([^\"']+)[\"'][^>]*?name=[\"']csrfmiddlewaretoken[\"']",
    re.IGNORECASE,
)
_REDIRECTS = (301, 302, 303, 307, 308)

Check = Callable[[httpx.Response], "str | None"]


class Step(Protocol):
    """Sends one login step with extra headers and records it; ``check`` turns an answer
    with an expected status into an error (None: fine). A failed step raises ``LoginError``
    unless it is not ``fatal`` (the login worked; what came after did not)."""

    def __call__(
        self,
        client: httpx.Client,
        request: TestRequest,
        headers: Mapping[str, str],
        check: Check,
        *,
        fatal: bool = True,
    ) -> httpx.Response | None: ...


def session_login(
    client: httpx.Client,
    login: SessionLogin,
    credentials: Mapping[str, str],
    step: Step,
) -> None:
    """Log ``client`` in (its cookie jar keeps the session); ``step`` raises on a failure."""
    if login.form:
        _form_login(client, login, credentials, step)
        return
    if login.csrf_path is not None:
        page = TestRequest("login: session CSRF cookie", "GET", login.csrf_path, (200,))
        step(client, page, {}, _fine)
    post = TestRequest("login: session", "POST", login.login_path, (200,), json=credentials)
    step(client, post, csrf_headers(client), _session_set)


def csrf_headers(client: httpx.Client) -> dict[str, str]:
    """What an unsafe request of a logged-in browser app carries: the CSRF cookie echoed in
    ``X-CSRFToken``, and a same-origin ``Referer``."""
    csrf = client.cookies.get(CSRF_COOKIE)
    if not csrf:
        return {}
    return {CSRF_HEADER: csrf, "Referer": str(client.base_url)}


def _form_login(
    client: httpx.Client, login: SessionLogin, credentials: Mapping[str, str], step: Step
) -> None:
    tokens: list[str] = []

    def has_token(response: httpx.Response) -> str | None:
        found = _FORM_TOKEN.search(response.text)
        token = (found.group(1) or found.group(2)) if found else client.cookies.get(CSRF_COOKIE)
        if not token:
            return "the login page has no csrfmiddlewaretoken field and set no csrftoken cookie"
        tokens.append(token)
        return None

    page = TestRequest("login: session form", "GET", login.login_path, (200,))
    step(client, page, {}, has_token)
    fields = {**credentials, "csrfmiddlewaretoken": tokens[0]}
    # 200 is the form coming back with its errors: let the session check say so.
    expected = (200, *_REDIRECTS)
    post = TestRequest("login: session", "POST", login.login_path, expected, form=fields)
    referer = {"Referer": str(client.base_url.join(login.login_path))}
    answer = step(client, post, referer, _session_set)
    location = answer.headers.get("Location") if answer is not None else None
    if location:
        # Where the user lands; a broken page there is a finding, but the session holds.
        landing = TestRequest("login: session redirect", "GET", location, (200,))
        step(client, landing, {}, _fine, fatal=False)


def _fine(response: httpx.Response) -> str | None:
    return None


def _session_set(response: httpx.Response) -> str | None:
    if any(name != CSRF_COOKIE for name in response.cookies):
        return None
    if response.status_code == 200 and "html" in response.headers.get("content-type", ""):
        return "the login page came back (200) and set no session cookie: not logged in"
    return f"answered {response.status_code} but set no session cookie: not logged in"
