"""Django: workflow + correlation id on the request span, ``X-Correlation-ID`` and
``traceresponse`` on the response. Built on the contrib DjangoInstrumentor's hooks."""

from __future__ import annotations

import functools
import logging
import os
import re
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any

from opentelemetry import baggage, trace
from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.trace import Span

from e2e_otel import _guard, runtime
from e2e_otel import attributes as attr
from e2e_otel.config import valid_correlation_id

_logger = logging.getLogger(__name__)
_META_CORRELATION = "HTTP_" + attr.HEADER_CORRELATION_ID.upper().replace("-", "_")
_META_WORKFLOW = "HTTP_" + attr.HEADER_WORKFLOW_TYPE.upper().replace("-", "_")
_META_PREFLIGHT = "HTTP_ACCESS_CONTROL_REQUEST_METHOD"  # sent only by CORS preflights
_REQUEST_ATTR = "_e2e_otel_correlation_id"
_EXPOSE = "Access-Control-Expose-Headers"
# What DRF (simplejwt, drf-jwt) answers for an expired token, not its "invalid or expired".
_EXPIRED = re.compile(r"\b(?:token|signature|claim)\b[^.]*?\b(?:is|has) expired\b", re.IGNORECASE)


class DjangoNotConfiguredError(RuntimeError):
    """``DJANGO_SETTINGS_MODULE`` is unset and settings are not configured.

    The contrib instrumentor would then call ``settings.configure()`` with empty settings,
    silently replacing the application's own settings; we refuse instead.
    """

    def __init__(self) -> None:
        super().__init__(
            "DJANGO_SETTINGS_MODULE is not set: set it before instrumenting Django "
            "(e.g. export DJANGO_SETTINGS_MODULE=mysite.settings); Django is not instrumented"
        )


def django_settings_known() -> bool:
    """Whether the Django settings can be read without configuring them as a side effect."""
    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        return True
    from django.conf import settings

    return bool(settings.configured)


class MissingDependencyError(ImportError):
    """The framework or its OpenTelemetry instrumentation is not installed (``name``)."""

    def __init__(self, name: str, hint: str) -> None:
        self.name = name
        super().__init__(f"{name} is not installed: {hint}")


def _route(request: Any) -> str | None:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        route = getattr(match, "route", None)
        return route if isinstance(route, str) and route else None
    from django.conf import settings
    from django.urls import get_urlconf

    # Keyed by the URLconf in force so a changed ROOT_URLCONF (tests) is never served stale.
    urlconf = getattr(request, "urlconf", None) or get_urlconf() or settings.ROOT_URLCONF
    return _resolve_route(urlconf, request.path_info)


@functools.lru_cache(maxsize=2048)
def path_syntax(route: str) -> str:
    """A regex route (``re_path``, DRF routers) in ``path()`` syntax, as rules are written:
    ``api/v1/events/(?P<pk>[^/.]+)/$`` -> ``api/v1/events/<pk>/``. Anchors go, named groups
    become ``<name>``, escaped punctuation its character, an optional trailing ``/?`` a ``/``;
    any other regex is left as it is. A ``path()`` route comes back unchanged."""
    if "(" not in route and "\\" not in route and not route.startswith("^") and "$" not in route:
        return route
    out: list[str] = []
    i, end = (1 if route.startswith("^") else 0), len(route)
    for tail in ("$", "\\Z"):
        if route.endswith(tail) and not route.endswith("\\" + tail):
            end -= len(tail)
            break
    while i < end:
        char = route[i]
        if char == "\\" and i + 1 < end and not route[i + 1].isalnum():
            out.append(route[i + 1])
            i += 2
        elif route.startswith("(?P<", i) and (close := _group_end(route, i, end)) is not None:
            out.append("<" + route[i + 4 : route.index(">", i)] + ">")
            i = close + 1
        else:
            out.append(char)
            i += 1
    plain = "".join(out)
    return plain[:-1] if plain.endswith("/?") else plain


def _group_end(route: str, start: int, end: int) -> int | None:
    """Index of the ``)`` closing the group opened at ``start`` (escapes and classes skipped).
    discovery/django_regex.py has the same reading, but it runs standalone in the project's
    interpreter and discovery is not imported in the traced app: this is the app's copy."""
    depth, i = 0, start
    while i < end:
        char = route[i]
        if char == "\\":
            i += 1
        elif char == "[":
            i += 2 if route.startswith("^", i + 1) else 1
            i += 1 if route.startswith("]", i) else 0  # a leading "]" is literal in a class
            while i < end and route[i] != "]":
                i += 2 if route[i] == "\\" else 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


@functools.lru_cache(maxsize=2048)
def _resolve_route(urlconf: object, path: str) -> str | None:
    # The request hook runs before Django resolves the URL; resolving is the hook's main cost
    # and paths repeat, so results are cached (bounded: ids in paths make the key space open).
    from django.urls import Resolver404, resolve

    try:
        route = resolve(path, urlconf).route  # type: ignore[arg-type]  # a module works too
    except Resolver404:
        return None
    return route if isinstance(route, str) and route else None


def request_hook(span: Span, request: Any) -> None:
    """Decide the request's workflow type and correlation id and put them on the entry span.

    Type: ``X-Workflow-Type`` header, else baggage, else the first matching config rule.
    Id: ``X-Correlation-ID`` header, else baggage, else a new UUID4.
    """
    try:
        config = runtime.get_config().workflows
        meta = request.META
        bag = baggage.get_all()
        wf_type = None
        for candidate in (meta.get(_META_WORKFLOW), bag.get(attr.BAGGAGE_WORKFLOW_TYPE)):
            if isinstance(candidate, str) and config.accepts(candidate.strip().lower()):
                wf_type = candidate.strip().lower()
                break
        # A CORS preflight is the browser asking, not a step of the user's workflow: it
        # matches the route rules of the request it precedes, so it would be counted in them.
        preflight = request.method == "OPTIONS" and _META_PREFLIGHT in meta
        if wf_type is None and not preflight:
            route = _route(request)
            if route is not None:
                plain = path_syntax(route)  # rules are written in path() syntax
                spellings = (plain,) if plain != route else ()
                wf_type = config.match(request.method or "GET", route, *spellings)
        wf_id = (
            valid_correlation_id(meta.get(_META_CORRELATION))
            or valid_correlation_id(bag.get(attr.BAGGAGE_WORKFLOW_ID))
            or str(uuid.uuid4())
        )
        setattr(request, _REQUEST_ATTR, wf_id)
        if span.is_recording():
            if wf_type is not None:
                span.set_attribute(attr.WORKFLOW_TYPE, wf_type)
            span.set_attribute(attr.WORKFLOW_ID, wf_id)
    except Exception as exc:  # never raise into the app
        _guard.report("django request hook", exc)


def response_hook(span: Span, request: Any, response: Any) -> None:
    """Echo the correlation id; classify an expired JWT (only visible in the DRF response)."""
    try:
        wf_id = getattr(request, _REQUEST_ATTR, None)
        if wf_id is not None:
            response[attr.HEADER_CORRELATION_ID] = wf_id
            exposed = response.get(_EXPOSE)
            names = [h.strip() for h in exposed.split(",")] if exposed else []
            for header in (attr.HEADER_TRACERESPONSE, attr.HEADER_CORRELATION_ID):
                if header not in names:
                    names.append(header)
            response[_EXPOSE] = ", ".join(names)
        if response.status_code == 401 and span.is_recording() and _token_expired(response):
            span.set_attribute(attr.ERROR_CATEGORY, "auth_token_expired")
        if getattr(response, "streaming", False) and span.is_recording():
            _stream_in_request(span, response)
    except Exception as exc:  # never raise into the app
        _guard.report("django response hook", exc)


def _stream_in_request(span: Span, response: Any) -> None:
    """A streaming body is produced after the request span ended and its context was detached:
    the queries it runs (a CSV export, server-sent events) were each a trace of their own, with
    no workflow. Each chunk is now produced in the request's context, so they are its children.
    A ``FileResponse`` is left alone (a file queries nothing, and replacing its content would
    turn off the server's ``sendfile``)."""
    from django.http import FileResponse

    if isinstance(response, FileResponse):
        return
    ctx = trace.set_span_in_context(span, otel_context.get_current())
    content = response.streaming_content
    if getattr(response, "is_async", False):
        response.streaming_content = _achunks_in(ctx, content)
    else:
        response.streaming_content = _chunks_in(ctx, content)


def _chunks_in(ctx: Context, content: Iterable[bytes]) -> Iterator[bytes]:
    # The context is attached around each chunk only, in whichever thread asks for it.
    iterator = iter(content)
    try:
        while True:
            token = otel_context.attach(ctx)
            try:
                chunk = next(iterator)
            except StopIteration:
                return
            finally:
                otel_context.detach(token)
            yield chunk
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


async def _achunks_in(ctx: Context, content: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    iterator = content.__aiter__()
    try:
        while True:
            token = otel_context.attach(ctx)
            try:
                chunk = await iterator.__anext__()
            except StopAsyncIteration:
                return
            finally:
                otel_context.detach(token)
            yield chunk
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


def _token_expired(response: Any) -> bool:
    # simplejwt: {"detail", "code": "token_not_valid", "messages": [{"message": ...}]} from
    # the authentication class, {"detail": "Token is expired"} from its refresh view; drf-jwt:
    # {"detail": "Signature has expired."}. Older simplejwt says "Token is invalid or expired"
    # for a forged token too: that is not an expiry.
    data = getattr(response, "data", None)
    if not isinstance(data, dict):
        return False
    texts = [data.get("detail")]
    messages = data.get("messages")
    if isinstance(messages, (list, tuple)):
        texts += [m.get("message") for m in messages if isinstance(m, dict)]
    return any(text is not None and _EXPIRED.search(str(text)) for text in texts)


def hooks() -> dict[str, Any]:
    """Keyword arguments for ``DjangoInstrumentor().instrument`` (used by the distro too)."""
    return {"request_hook": request_hook, "response_hook": response_hook}


def instrument_django() -> None:
    """Instrument Django with our hooks (idempotent).

    Raises :class:`MissingDependencyError` when Django or its instrumentation is missing and
    :class:`DjangoNotConfiguredError` when ``DJANGO_SETTINGS_MODULE`` is unset (the contrib
    instrumentor reads ``settings.MIDDLEWARE``).
    """
    try:
        import django  # noqa: F401
    except ImportError:
        raise MissingDependencyError("django", "pip install 'e2e-otel[django]'") from None
    try:
        from opentelemetry.instrumentation.django import DjangoInstrumentor
    except ImportError:
        raise MissingDependencyError(
            "opentelemetry-instrumentation-django", "pip install 'e2e-otel[django]'"
        ) from None
    if not django_settings_known():
        raise DjangoNotConfiguredError()
    instrumentor = DjangoInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(**hooks())
    watch_asgi_support()


ASGI_MISSING = (
    "e2e_otel: Django is served over ASGI but opentelemetry-instrumentation-asgi is not "
    "installed, so requests get no server span, workflow or correlation id: "
    "pip install 'opentelemetry-instrumentation-asgi==0.66b1'"
)


ASGI_WATCH = "e2e_otel.asgi_watch"  # dispatch_uid of the request_started receiver


def watch_asgi_support() -> None:
    """Without opentelemetry-instrumentation-asgi the contrib Django middleware skips every
    ASGI request without a word (uvicorn, daphne, hypercorn: no server span at all). Say so
    once, at the first request; only the first request is looked at (WSGI or ASGI, a process
    serves one kind), so nothing stays on the request path. Called by the distro too."""
    try:
        import opentelemetry.instrumentation.asgi  # noqa: F401
    except ImportError:
        from django.core.signals import request_started

        request_started.connect(_first_request, dispatch_uid=ASGI_WATCH)


def _first_request(sender: Any, **kwargs: Any) -> None:
    try:
        from django.core.handlers.asgi import ASGIHandler
        from django.core.signals import request_started

        request_started.disconnect(dispatch_uid=ASGI_WATCH)
        if isinstance(sender, type) and issubclass(sender, ASGIHandler):
            _logger.warning(ASGI_MISSING)
    except Exception as exc:  # never raise into the app
        _guard.report("django ASGI check", exc)
