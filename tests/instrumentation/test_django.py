from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import django
import pytest
from django.conf import settings
from opentelemetry import baggage, context
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from e2e_otel import _guard
from e2e_otel import attributes as attr
from e2e_otel.config import parse_config
from e2e_otel.instrumentation.django import path_syntax, request_hook, response_hook
from tests.conftest import Pipeline, make_pipeline

if not settings.configured:
    settings.configure(
        ROOT_URLCONF="tests.instrumentation.urls", ALLOWED_HOSTS=["testserver"], USE_TZ=True
    )
    django.setup()

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.test import RequestFactory

from tests.spans import attributes

RULES = {
    "workflows": {
        "rules": [
            {"name": "product_fetch", "method": "GET", "route": "api/products/*"},
            {"name": "checkout", "method": "POST", "route": "api/checkout/"},
        ]
    }
}


@pytest.fixture
def pipe() -> Iterator[Pipeline]:
    p = make_pipeline(parse_config(RULES))
    yield p
    p.provider.shutdown()


def _hooked(
    pipe: Pipeline, request: object, response: HttpResponse | None = None
) -> dict[str, object]:
    tracer = pipe.provider.get_tracer("opentelemetry.instrumentation.django")
    with tracer.start_as_current_span("request", kind=SpanKind.SERVER) as span:
        request_hook(span, request)
        if response is not None:
            response_hook(span, request, response)
    return dict(attributes(pipe.by_name("request")))


def test_rule_by_route_and_generated_uuid(pipe: Pipeline) -> None:
    request = RequestFactory().get("/api/products/7/")
    response = HttpResponse("ok")
    attrs = _hooked(pipe, request, response)
    assert attrs[attr.WORKFLOW_TYPE] == "product_fetch"
    generated = str(attrs[attr.WORKFLOW_ID])
    assert uuid.UUID(generated).version == 4
    assert response["X-Correlation-ID"] == generated


def test_method_must_match_and_unknown_routes_have_no_type(pipe: Pipeline) -> None:
    assert attr.WORKFLOW_TYPE not in _hooked(pipe, RequestFactory().get("/api/checkout/"))


def test_a_cors_preflight_is_in_no_workflow() -> None:
    rules = parse_config({"workflows": {"rules": [{"name": "cart_update", "route": "api/*"}]}})

    def hooked(request: object) -> dict[str, object]:
        wildcard = make_pipeline(rules)  # a rule for any method: OPTIONS too
        try:
            return _hooked(wildcard, request)
        finally:
            wildcard.provider.shutdown()

    preflight = RequestFactory().options(
        "/api/products/7/",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "PUT"},
    )
    attrs = hooked(preflight)
    assert attr.WORKFLOW_TYPE not in attrs and attr.WORKFLOW_ID in attrs
    # A plain OPTIONS request (no preflight header) is matched as any other method.
    assert hooked(RequestFactory().options("/api/products/7/"))[attr.WORKFLOW_TYPE] == "cart_update"


@pytest.mark.parametrize(
    ("route", "plain"),
    [
        ("api/v2/orders/$", "api/v2/orders/"),
        ("api/v2/orders/(?P<pk>[^/.]+)/$", "api/v2/orders/<pk>/"),
        ("^api/(?P<version>(v1|v2))/orders/$", "api/<version>/orders/"),
        (r"api/v2/orders\.(?P<format>[a-z0-9]+)/?$", "api/v2/orders.<format>/"),
        (r"api/(?P<slug>[a-z)\]]+(?:-[a-z]+)*)/x/?\Z", "api/<slug>/x/"),
        ("api/products/<int:pk>/", "api/products/<int:pk>/"),  # path(): unchanged
        (r"api/(\d+)/$", r"api/(\d+)/"),  # unnamed groups stay as they are
    ],
)
def test_regex_routes_in_path_syntax(route: str, plain: str) -> None:
    assert path_syntax(route) == plain


def test_rules_in_path_syntax_match_regex_routes() -> None:
    # Router-generated routes are regexes (`api/v2/orders/(?P<pk>[^/.]+)/$`); rules are
    # written as paths, and the first rule that fits wins over a later, wider one.
    rules = parse_config(
        {
            "workflows": {
                "rules": [
                    {"name": "order_list", "method": "GET", "route": "api/v2/orders/"},
                    {"name": "order_cancel", "route": "api/v2/orders/<pk>/cancel/"},
                    {"name": "order_detail", "route": "api/v2/orders/<pk>/"},
                    {"name": "orders", "route": "api/v2/orders*"},
                ]
            }
        }
    )
    router = make_pipeline(rules)
    try:
        factory = RequestFactory()
        cases = {
            factory.get("/api/v2/orders/"): "order_list",
            factory.post("/api/v2/orders/"): "orders",
            factory.get("/api/v2/orders/7/"): "order_detail",
            factory.post("/api/v2/orders/7/cancel"): "order_cancel",
            factory.get("/api/v2/orders.json"): "orders",
        }
        for request, expected in cases.items():
            router.exporter.clear()
            assert _hooked(router, request)[attr.WORKFLOW_TYPE] == expected, request.path
    finally:
        router.provider.shutdown()


def test_not_found_route_still_gets_a_correlation_id(pipe: Pipeline) -> None:
    attrs = _hooked(pipe, RequestFactory().get("/nowhere/"))
    assert attr.WORKFLOW_TYPE not in attrs
    assert attr.WORKFLOW_ID in attrs


def test_headers_win_and_bad_header_values_are_replaced(pipe: Pipeline) -> None:
    good = RequestFactory().post(
        "/api/checkout/", HTTP_X_CORRELATION_ID="abc-123", HTTP_X_WORKFLOW_TYPE="Express_Checkout"
    )
    attrs = _hooked(pipe, good)
    assert attrs[attr.WORKFLOW_ID] == "abc-123"
    assert attrs[attr.WORKFLOW_TYPE] == "express_checkout"
    bad = RequestFactory().post(
        "/api/checkout/", HTTP_X_CORRELATION_ID="<script>" * 40, HTTP_X_WORKFLOW_TYPE="a b;c"
    )
    pipe.exporter.clear()
    attrs = _hooked(pipe, bad)
    assert uuid.UUID(str(attrs[attr.WORKFLOW_ID])).version == 4
    assert attrs[attr.WORKFLOW_TYPE] == "checkout"


def test_baggage_is_used_when_no_header(pipe: Pipeline) -> None:
    ctx = baggage.set_baggage(attr.BAGGAGE_WORKFLOW_ID, "bag-1")
    ctx = baggage.set_baggage(attr.BAGGAGE_WORKFLOW_TYPE, "login", ctx)
    token = context.attach(ctx)
    try:
        attrs = _hooked(pipe, RequestFactory().get("/api/products/1/"))
    finally:
        context.detach(token)
    assert attrs[attr.WORKFLOW_ID] == "bag-1"
    assert attrs[attr.WORKFLOW_TYPE] == "login"


def test_expose_headers_are_merged(pipe: Pipeline) -> None:
    response = HttpResponse("ok")
    response["Access-Control-Expose-Headers"] = "traceresponse"
    _hooked(pipe, RequestFactory().get("/api/products/1/"), response)
    assert response["Access-Control-Expose-Headers"] == "traceresponse, X-Correlation-ID"


@pytest.mark.parametrize(
    ("data", "category"),
    [
        # the authentication class of simplejwt, on an expired access token
        (
            {
                "detail": "Given token not valid for any token type",
                "code": "token_not_valid",
                "messages": [{"token_type": "access", "message": "Token is expired"}],
            },
            "auth_token_expired",
        ),
        # simplejwt's refresh view, on an expired refresh token: no "messages"
        ({"detail": "Token is expired", "code": "token_not_valid"}, "auth_token_expired"),
        (
            {"detail": "Token 'exp' claim has expired", "code": "token_not_valid"},
            "auth_token_expired",
        ),
        ({"detail": "Signature has expired."}, "auth_token_expired"),  # drf-jwt
        # older simplejwt says this of a forged or garbled token as well: not an expiry
        (
            {
                "detail": "Given token not valid for any token type",
                "code": "token_not_valid",
                "messages": [{"message": "Token is invalid or expired"}],
            },
            None,
        ),
        ({"detail": "Token is invalid", "code": "token_not_valid"}, None),
        ({"detail": "Authentication credentials were not provided."}, None),
        (["Token is expired"], None),
    ],
)
def test_expired_jwt_is_classified_from_the_drf_response(
    pipe: Pipeline, data: object, category: str | None
) -> None:
    response = HttpResponse(status=401)
    response.data = data  # type: ignore[attr-defined]
    attrs = _hooked(pipe, RequestFactory().get("/api/products/1/"), response)
    assert attrs.get(attr.ERROR_CATEGORY) == category


def test_hooks_never_raise_into_the_app(pipe: Pipeline) -> None:
    before = _guard.failures["django request hook"] + _guard.failures["django response hook"]
    _hooked(pipe, object(), object())  # type: ignore[arg-type]
    after = _guard.failures["django request hook"] + _guard.failures["django response hook"]
    assert after == before + 2


def test_unsampled_requests_still_get_a_correlation_id() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    tracer = TracerProvider(sampler=ALWAYS_OFF).get_tracer("opentelemetry.instrumentation.django")
    request = RequestFactory().get("/api/products/1/", HTTP_X_CORRELATION_ID="unsampled-1")
    response = HttpResponse("ok")
    with tracer.start_as_current_span("request", kind=SpanKind.SERVER) as span:
        assert not span.is_recording()
        request_hook(span, request)
        response_hook(span, request, response)
    assert response["X-Correlation-ID"] == "unsampled-1"


def _streamed(pipe: Pipeline, response: StreamingHttpResponse) -> list[bytes]:
    """Run the hooks like the contrib middleware, then consume the body as a server does:
    after the request span ended and its context was detached."""
    tracer = pipe.provider.get_tracer("opentelemetry.instrumentation.django")
    request = RequestFactory().get("/api/products/1/", HTTP_X_CORRELATION_ID="stream-1")
    with tracer.start_as_current_span("request", kind=SpanKind.SERVER) as span:
        request_hook(span, request)
        response_hook(span, request, response)
    content = response.streaming_content
    if isinstance(content, AsyncIterator):
        body = content

        async def consume() -> list[bytes]:
            return [chunk async for chunk in body]

        return asyncio.run(consume())
    return list(content)


def _query_spans(pipe: Pipeline) -> tuple[ReadableSpan, list[ReadableSpan]]:
    server = pipe.by_name("request")
    queries = [s for s in pipe.spans() if s.name == "SELECT"]
    assert len(queries) == 2
    return server, queries


def test_queries_of_a_streamed_body_are_children_of_the_request(pipe: Pipeline) -> None:
    tracer = pipe.provider.get_tracer("db")

    def rows() -> Iterator[str]:
        for i in range(2):
            with tracer.start_as_current_span("SELECT"):
                yield f"row {i}\n"

    assert _streamed(pipe, StreamingHttpResponse(rows())) == [b"row 0\n", b"row 1\n"]
    server, queries = _query_spans(pipe)
    for query in queries:
        assert query.parent is not None and query.parent.span_id == server.context.span_id
        assert dict(attributes(query))[attr.WORKFLOW_ID] == "stream-1"
    assert context.get_value("current-span") is None  # nothing left attached


def test_queries_of_an_async_streamed_body_are_children_of_the_request(pipe: Pipeline) -> None:
    tracer = pipe.provider.get_tracer("db")

    async def rows() -> AsyncIterator[str]:
        for i in range(2):
            with tracer.start_as_current_span("SELECT"):
                await asyncio.sleep(0)
                yield f"row {i}\n"

    response = StreamingHttpResponse(rows())
    assert _streamed(pipe, response) == [b"row 0\n", b"row 1\n"]
    assert response.is_async
    server, queries = _query_spans(pipe)
    for query in queries:
        assert query.parent is not None and query.parent.span_id == server.context.span_id
        assert dict(attributes(query))[attr.WORKFLOW_ID] == "stream-1"


def test_a_streamed_body_that_fails_or_stops_early_is_closed(pipe: Pipeline) -> None:
    closed: list[str] = []

    def rows() -> Iterator[str]:
        try:
            yield "a"
            raise ValueError("the view's own error")
        finally:
            closed.append("rows")

    response = StreamingHttpResponse(rows())
    with pytest.raises(ValueError, match="the view's own error"):
        _streamed(pipe, response)
    assert closed == ["rows"]


def test_a_file_response_keeps_its_file(pipe: Pipeline, tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"file body")
    with path.open("rb") as handle:
        response = FileResponse(handle)
        assert _streamed(pipe, response) == [b"file body"]
        kept: object = response.file_to_stream
        assert kept is handle  # the server's sendfile still applies


def test_asgi_without_its_instrumentation_is_said_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from django.core.handlers.asgi import ASGIHandler
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_started

    from e2e_otel.instrumentation.django import ASGI_MISSING, ASGI_WATCH, watch_asgi_support

    monkeypatch.setitem(sys.modules, "opentelemetry.instrumentation.asgi", None)
    caplog.set_level(logging.WARNING, logger="e2e_otel")
    watch_asgi_support()
    request_started.send(sender=ASGIHandler, scope={})
    request_started.send(sender=ASGIHandler, scope={})
    assert [r.getMessage() for r in caplog.records] == [ASGI_MISSING]

    caplog.clear()
    watch_asgi_support()
    request_started.send(sender=WSGIHandler, environ={})  # a WSGI process: nothing to say
    request_started.send(sender=ASGIHandler, scope={})  # only the first request is looked at
    assert caplog.records == []
    assert not request_started.disconnect(dispatch_uid=ASGI_WATCH)  # nothing left connected


def test_asgi_with_its_instrumentation_is_not_watched() -> None:
    try:
        import opentelemetry.instrumentation.asgi  # noqa: F401
    except ImportError:
        pytest.fail(
            "opentelemetry-instrumentation-asgi is missing: pip install -e '.[django]'",
            pytrace=False,
        )
    from django.core.signals import request_started

    from e2e_otel.instrumentation.django import ASGI_WATCH, watch_asgi_support

    watch_asgi_support()
    assert not request_started.disconnect(dispatch_uid=ASGI_WATCH)
