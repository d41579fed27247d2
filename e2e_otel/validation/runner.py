"""Send the plan's requests and judge each answer: status, server errors, response time.

A check fails on an unexpected status, any 5xx, a connection error or timeout, or a response
slower than the critical threshold; it warns when slower than the warning threshold (or, for
an expired token, when the 401 does not say the token expired). The transport and the clock
are injectable.

``--timeout`` bounds the whole answer, not each read: a body still coming after it (a view
that streams without end, its bytes resetting httpx's per-read timeout) fails the check
instead of hanging the run. An event stream (``text/event-stream``, e.g. django-browser-reload's
``__reload__/events/``) never ends by design: it is judged on its status and headers, its
body left unread.

Credentials in the base URL (``http://user:pass@host``) are dropped, never sent nor
recorded: httpx would send them as Basic auth on every request, the anonymous checks
included, and they would show in the report and in the spans' ``url.full``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping

import httpx

from e2e_otel.config import Threshold
from e2e_otel.errors import UserError
from e2e_otel.sources.redact import without_userinfo
from e2e_otel.validation.auth import Authenticator, LoginError
from e2e_otel.validation.models import (
    CheckResult,
    CheckStatus,
    Plan,
    TestRequest,
    ValidationReport,
)
from e2e_otel.validation.tracing import CheckTracing, TracedCall

_SNIPPET = 160  # characters of an error body quoted in a reason


class _BodyTooLong(Exception):
    """The answer's body was still coming when the request's time was up."""


class _Deadline(httpx.SyncByteStream):
    """A response body that raises :class:`_BodyTooLong` once ``expired()`` says so."""

    def __init__(self, stream: httpx.SyncByteStream, expired: Callable[[], bool]) -> None:
        self._stream = stream
        self._expired = expired

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            yield chunk
            if self._expired():
                raise _BodyTooLong

    def close(self) -> None:
        self._stream.close()


class ServerUnreachable(UserError):
    """Nothing usable answers at the base URL; ``str()`` is one line."""


def probe(
    base_url: str, *, timeout_s: float = 10.0, transport: httpx.BaseTransport | None = None
) -> None:
    """Raise :class:`ServerUnreachable` unless something answers HTTP at ``base_url``
    (asked, and named in the message, without the URL's credentials), or when it redirects
    to the same URL over HTTPS: then every check would get that redirect (Django's
    ``SECURE_SSL_REDIRECT`` answers every path so), and none would test its endpoint."""
    base_url = without_userinfo(base_url)
    try:
        with (
            httpx.Client(timeout=timeout_s, transport=transport) as client,
            client.stream("GET", base_url) as response,  # headers only: the body may not end
        ):
            location = response.headers.get("Location") if response.is_redirect else None
    except httpx.TimeoutException:
        reason = f"no answer within {timeout_s:g} s"
        raise ServerUnreachable(f"cannot reach {base_url}: {reason}") from None
    except (httpx.TransportError, httpx.InvalidURL) as exc:
        raise ServerUnreachable(f"cannot reach {base_url}: {_one_line(exc)}") from None
    asked = httpx.URL(base_url)
    target = asked.join(location) if location else None
    if target is not None and _upgraded(asked, target):
        raise ServerUnreachable(
            f"{base_url} redirects to {target} (Django's SECURE_SSL_REDIRECT?): every "
            "check would get that redirect; give --base-url the HTTPS URL, or run the "
            "server without the redirect"
        )


def _upgraded(asked: httpx.URL, target: httpx.URL) -> bool:
    """Whether ``target`` is ``asked`` (an HTTP URL) over HTTPS."""
    same = (target.host, target.path) == (asked.host, asked.path)
    return same and (asked.scheme, target.scheme) == ("http", "https")


class Runner:
    """Runs plans against ``base_url`` (its credentials dropped) with ``threshold`` (the API
    response-time threshold)."""

    def __init__(
        self,
        base_url: str,
        threshold: Threshold,
        tracing: CheckTracing,
        *,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.base_url = without_userinfo(base_url).rstrip("/")
        self.threshold = threshold
        self._tracing = tracing
        self._timeout_s = timeout_s
        self._transport = transport
        self._clock = clock

    def run(self, plan: Plan) -> ValidationReport:
        """Send every request in order (logging in on first need) and judge each."""
        results: list[CheckResult] = []
        auth = Authenticator(plan.auth, self._new_client, self.send, results.append)
        try:
            for request in plan.requests:
                try:
                    caller = auth.caller(request.auth)
                except LoginError as exc:
                    results.append(self._not_sent(request, f"not sent: {exc}"))
                    continue
                result, _ = self.send(caller.client, request, caller.headers(request.method))
                results.append(result)
        finally:
            auth.close()
        return ValidationReport(
            base_url=self.base_url,
            warning_ms=self.threshold.warning_ms,
            critical_ms=self.threshold.critical_ms,
            checks=tuple(results),
        )

    def send(
        self, client: httpx.Client, request: TestRequest, auth_headers: Mapping[str, str]
    ) -> tuple[CheckResult, httpx.Response | None]:
        """Send ``request`` in a traced client span, timed; its result and the response."""
        prepared = client.build_request(
            request.method,
            request.path,
            params=dict(request.params),
            json=request.json if request.form is None else None,
            data=dict(request.form) if request.form is not None else None,
            headers={**request.headers, **auth_headers},
        )
        with self._tracing.client_span(request.method, prepared.url, request.template) as call:
            prepared.headers.update(call.headers)
            started = self._clock()
            response: httpx.Response | None = None
            try:
                response = client.send(prepared, stream=True)
                if _event_stream(response):
                    response.close()
                    response = _headers_only(response)
                else:
                    assert isinstance(response.stream, httpx.SyncByteStream)  # a sync client's
                    response.stream = _Deadline(response.stream, self._expired(started))
                    response.read()
            except httpx.TimeoutException as exc:
                call.failed(exc)
                reason = f"no answer within {self._timeout_s:g} s ({type(exc).__name__})"
                return self._result(request, prepared.url, call, errors=(reason,)), None
            except httpx.TransportError as exc:
                call.failed(exc)
                reason = f"cannot connect: {_one_line(exc)}"
                return self._result(request, prepared.url, call, errors=(reason,)), None
            except _BodyTooLong:
                assert response is not None  # raised while reading its body
                call.answered(response)
                reason = (
                    f"answered {response.status_code} but its body was still coming after "
                    f"{self._timeout_s:g} s (an endless stream?)"
                )
                return self._result(
                    request, prepared.url, call, errors=(reason,), status_code=response.status_code
                ), None
            finally:
                if response is not None:
                    response.close()
            elapsed_ms = (self._clock() - started) * 1000
            joined = call.answered(response)
        errors, warnings = judge(request, response, elapsed_ms, self.threshold)
        result = self._result(
            request,
            prepared.url,
            call,
            errors=errors,
            warnings=warnings,
            status_code=response.status_code,
            response_ms=elapsed_ms,
            server_joined=joined,
        )
        return result, response

    def _expired(self, started: float) -> Callable[[], bool]:
        return lambda: self._clock() - started > self._timeout_s

    def _new_client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            timeout=self._timeout_s,
            transport=self._transport,
            follow_redirects=False,
            # No keep-alive: Django's runserver and small request segments meet Nagle + delayed
            # ACK on a reused connection (~40 ms no server span shows), which would skew times.
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    def _result(
        self,
        request: TestRequest,
        url: httpx.URL,
        call: TracedCall,
        *,
        errors: tuple[str, ...] = (),
        warnings: tuple[str, ...] = (),
        status_code: int | None = None,
        response_ms: float | None = None,
        server_joined: bool = False,
    ) -> CheckResult:
        return CheckResult(
            name=request.name,
            method=request.method,
            url=str(url),
            status=_status(errors, warnings),
            expected_status=request.expected_status,
            auth=request.auth,
            status_code=status_code,
            response_ms=response_ms,
            errors=errors,
            warnings=warnings,
            trace_id=call.trace_id,
            correlation_id=call.correlation_id,
            server_joined=server_joined,
        )

    def _not_sent(self, request: TestRequest, reason: str) -> CheckResult:
        return CheckResult(
            name=request.name,
            method=request.method,
            url=self.base_url + request.path,
            status="fail",
            expected_status=request.expected_status,
            auth=request.auth,
            errors=(reason,),
        )


def judge(
    request: TestRequest, response: httpx.Response, elapsed_ms: float, threshold: Threshold
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The errors and warnings of one answer."""
    errors: list[str] = []
    warnings: list[str] = []
    code = response.status_code
    expected = " or ".join(str(s) for s in request.expected_status)
    # Expectations never include a 5xx (the file refuses them), so any 5xx lands here.
    if code not in request.expected_status:
        errors.append(f"expected {expected}, got {code}{_body(response)}")
    elif request.redirect_to is not None and response.is_redirect:
        location = response.headers.get("Location", "")
        if httpx.URL(location).path != httpx.URL(request.redirect_to).path:
            errors.append(f"redirected to {location or 'nowhere'}, not to {request.redirect_to}")
    if elapsed_ms > threshold.critical_ms:
        errors.append(f"took {elapsed_ms:.0f} ms, over the critical {threshold.critical_ms:g} ms")
    elif elapsed_ms > threshold.warning_ms:
        warnings.append(f"took {elapsed_ms:.0f} ms, over the warning {threshold.warning_ms:g} ms")
    if request.auth == "expired_jwt" and code == 401:
        said = response.text + response.headers.get("WWW-Authenticate", "")
        if "expired" not in said.lower():
            warnings.append("the 401 does not say the token expired (is the signing key right?)")
    return tuple(errors), tuple(warnings)


def _event_stream(response: httpx.Response) -> bool:
    """A Server-Sent Events answer: a body that ends only when the server says so."""
    content_type = str(response.headers.get("Content-Type", ""))
    return content_type.split(";")[0].strip().lower() == "text/event-stream"


def _headers_only(response: httpx.Response) -> httpx.Response:
    """``response`` with an empty body, for an answer whose body is not read."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"]
    return httpx.Response(response.status_code, headers=headers, request=response.request)


def _status(errors: tuple[str, ...], warnings: tuple[str, ...]) -> CheckStatus:
    return "fail" if errors else "warning" if warnings else "pass"


def _body(response: httpx.Response) -> str:
    """A short quote of an error answer (success bodies may hold tokens: never quoted), or
    where a redirect leads."""
    if response.is_redirect:
        return f" to {response.headers['Location']}"
    if response.status_code < 400:
        return ""
    text = " ".join(response.text.split())
    if not text:
        return ""
    return f": {text[:_SNIPPET]}{'...' if len(text) > _SNIPPET else ''}"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
