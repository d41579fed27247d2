"""The runner on hand-made answers (httpx.MockTransport): ``--timeout`` bounds the whole answer
(a body that never ends fails the check), an event stream is judged on its status without
being read, a base URL that redirects to itself over HTTPS is refused up front, and an
unexpected redirect names its target."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from e2e_otel.config import Config
from e2e_otel.validation.models import (
    AuthSettings,
    Credentials,
    Plan,
    TestRequest,
    ValidationReport,
)
from e2e_otel.validation.runner import Runner, ServerUnreachable, judge, probe
from e2e_otel.validation.tracing import check_tracing
from tests.validation.harness import GENEROUS

ANY_ANSWER = (200, 204, 301, 302, 304, 400, 401, 403, 405)


class Ticking:
    """A clock one second further on each reading."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


class Endless(httpx.SyncByteStream):
    """A body that keeps coming (a ping a second, say), as a streaming view's does; gives up
    loudly after ``limit`` chunks, so a runner that reads without end fails instead of hanging."""

    def __init__(self, limit: int = 1000) -> None:
        self.sent = 0
        self.closed = False
        self._limit = limit

    def __iter__(self) -> Iterator[bytes]:
        while True:
            self.sent += 1
            assert self.sent <= self._limit, "the runner kept reading an endless body"
            yield b"event: ping\ndata: {}\n\n"

    def close(self) -> None:
        self.closed = True


def run(request: TestRequest, body: Endless, content_type: str) -> ValidationReport:
    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": content_type}, stream=body)

    tracing = check_tracing(Config(), [InMemorySpanExporter()], batch=False)
    try:
        runner = Runner(
            "http://api.test",
            GENEROUS,
            tracing,
            timeout_s=10,
            transport=httpx.MockTransport(answer),
            clock=Ticking(),
        )
        return runner.run(Plan((request,), AuthSettings(Credentials("", ""))))
    finally:
        tracing.shutdown()


def test_a_body_still_coming_after_the_timeout_fails_the_check_instead_of_hanging() -> None:
    body = Endless()
    tail = TestRequest("tail", "GET", "/api/logs/tail/", (200,))
    (check,) = run(tail, body, "text/plain").checks
    assert (check.status, check.status_code) == ("fail", 200)
    assert check.errors == (
        "answered 200 but its body was still coming after 10 s (an endless stream?)",
    )
    assert body.sent < 20 and body.closed


def test_an_event_stream_is_judged_on_its_status_without_reading_its_body() -> None:
    body = Endless(limit=0)  # django-browser-reload's __reload__/events/: pings forever
    events = TestRequest("events", "GET", "/__reload__/events/", ANY_ANSWER)
    (check,) = run(events, body, "text/event-stream; charset=utf-8").checks
    assert (check.status, check.status_code, check.errors) == ("pass", 200, ())
    assert body.sent == 0 and body.closed


def test_a_base_url_that_redirects_to_https_is_refused_before_anything_is_sent() -> None:
    # SECURE_SSL_REDIRECT answers every path with a 301 to itself over HTTPS: the "any
    # method" checks would pass on that 301 and the others fail, none testing its endpoint.
    def answer(request: httpx.Request) -> httpx.Response:
        target = request.url.copy_with(scheme="https")
        return httpx.Response(301, headers={"Location": str(target)})

    with pytest.raises(ServerUnreachable) as raised:
        probe("http://127.0.0.1:8000", transport=httpx.MockTransport(answer))
    assert str(raised.value) == (
        "http://127.0.0.1:8000 redirects to https://127.0.0.1:8000 (Django's "
        "SECURE_SSL_REDIRECT?): every check would get that redirect; give --base-url the "
        "HTTPS URL, or run the server without the redirect"
    )


@pytest.mark.parametrize(
    ("status", "location"), [(302, "/accounts/login/?next=/"), (301, "https://other.test/")]
)
def test_a_base_url_redirecting_elsewhere_is_fine(status: int, location: str) -> None:
    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"Location": location})

    probe("http://api.test", transport=httpx.MockTransport(answer))


def test_an_unexpected_redirect_says_where_it_leads() -> None:
    moved = TestRequest("moved", "GET", "/api/me", (200,))
    answer = httpx.Response(301, headers={"Location": "/api/me/"})
    errors, _ = judge(moved, answer, 5.0, GENEROUS)
    assert errors == ("expected 200, got 301 to /api/me/",)
