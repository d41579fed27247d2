"""A small JSON-over-HTTP GET client for the analysis backends (Prometheus, Tempo).

Bounded retries on what is worth retrying (connection errors, timeouts, 429 and 5xx), with
exponential backoff capped at ``max_backoff`` and the server's ``Retry-After`` honoured within
that cap. Everything else fails at once. Every failure is one :class:`BackendError` whose text is
a single readable line, with no secret in it: user:password in a backend's URL is taken out of
the URL and sent as basic authentication (so httpx, whose request log lines carry the URL, never
sees it) and shown as ``***``; the token never appears, even when the server echoes it. An
answer larger than ``max_response_bytes`` is refused while it streams in, and one that is not
JSON (or nests deeper than the decoder goes) is a :class:`BackendError` too. The transport, the
sleep and the clock are injectable, so tests drive retries against a loopback server without
sleeping.
"""

from __future__ import annotations

import base64
import email.utils
import json
import math
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from e2e_otel.config import Backend, Backends
from e2e_otel.errors import UserError
from e2e_otel.sources.redact import (
    PERCENT_ENCODING,
    redact_url,
    scrub,
    unencoded_userinfo,
    without_userinfo,
)
from e2e_otel.sources.shapes import SNIPPET, one_line

Sleep = Callable[[float], None]
Clock = Callable[[], float]
Params = Mapping[str, str | int | float]

RETRY_STATUSES = frozenset({429}) | frozenset(range(500, 600))
#: Default of ``backends.max_response_bytes``: the largest answer read (decoded JSON takes
#: several times its size in memory).
MAX_RESPONSE_BYTES = Backends().max_response_bytes


class BackendError(UserError):
    """A backend could not answer: ``backend`` (e.g. "prometheus"), the ``url`` asked (without
    its query string), and ``reason``; ``status`` is the last HTTP status, if any. ``str()`` is
    one line, e.g. ``prometheus http://p:9090/api/v1/query: HTTP 503 after 3 attempts``."""

    def __init__(self, backend: str, url: str, reason: str, status: int | None = None) -> None:
        self.backend = backend
        self.url = url
        self.reason = " ".join(reason.split())  # one line, whatever the server sent
        self.status = status
        super().__init__(f"{backend} {url}: {self.reason}")


def parse_base_url(backend: str, url: str) -> httpx.URL:
    """``url`` parsed; a :class:`BackendError` (without the URL's password) unless it is an
    http(s) URL with a host and a valid port."""
    shown = redact_url(url)
    if unencoded_userinfo(url):
        reason = (
            "invalid URL: the user or password holds a character that must be percent-encoded "
            + PERCENT_ENCODING
        )
        raise BackendError(backend, shown, reason)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise BackendError(backend, shown, f"invalid URL ({exc})") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise BackendError(backend, shown, "invalid URL: it needs http:// or https:// and a host")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        reason = f"invalid URL: port {parsed.port} is not between 1 and 65535"
        raise BackendError(backend, shown, reason)
    return parsed


class JsonClient:
    """GET JSON documents from one backend's base URL.

    ``timeout``: seconds per request (connect, read, write and pool); ``retries``: further
    attempts after the first; ``token``: sent as ``Authorization: Bearer``, never logged or put
    in an error. A user and password in ``base_url`` are sent as basic authentication, never
    in a requested URL, and shown as ``***`` (``display_url``). ``max_response_bytes``: larger
    answers are refused (:class:`BackendError`). ``requests`` counts the HTTP requests sent
    (retries included). Raises :class:`BackendError` when ``base_url`` is not an http(s) URL
    with a host.
    """

    def __init__(
        self,
        backend: str,
        base_url: str,
        *,
        timeout: float = 10.0,
        retries: int = 2,
        token: str | None = None,
        tenant: str | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = time.time,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        monotonic: Clock = time.monotonic,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.backend = backend
        url = base_url.rstrip("/")
        self.display_url = redact_url(url)
        parsed = parse_base_url(backend, url)
        # Requests go to the URL without its user:password: httpx logs each request's URL.
        self.base_url = without_userinfo(url)
        if token and (parsed.username or parsed.password):
            # Basic authentication would replace the token's Authorization header.
            reason = "give a token (token_env) or a user:password in the URL, not both"
            raise BackendError(backend, self.display_url, reason)
        auth, basic = None, ""
        if parsed.userinfo:
            auth = httpx.BasicAuth(parsed.username, parsed.password)
            # The header's credential, as a server echoing the request's headers shows it.
            basic = base64.b64encode(f"{parsed.username}:{parsed.password}".encode()).decode()
        # A password shorter than 4 characters would blank out unrelated text instead.
        password = parsed.password if len(parsed.password) >= 4 else ""
        self._secrets = tuple(s for s in (token, basic, password) if s)
        self.retries = retries
        self.max_response_bytes = max_response_bytes
        self.requests = 0
        self._deadline: tuple[float, float] | None = None  # (monotonic end, limit in seconds)
        self._monotonic = monotonic
        self._timeout = timeout
        self._sleep, self._clock = sleep, clock
        self._backoff, self._max_backoff = backoff, max_backoff
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if tenant:
            headers["X-Scope-OrgID"] = tenant  # Mimir/Tempo multi-tenancy
        self._client = httpx.Client(
            timeout=timeout, headers=headers, auth=auth, transport=transport
        )

    @classmethod
    def for_backend(
        cls,
        name: str,
        backend: Backend,
        *,
        environ: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> JsonClient:
        """A client for ``backends.<name>`` of the configuration; the token is read from the
        variable named by ``token_env`` (a :class:`BackendError` when it is not set)."""
        token = None
        if backend.token_env:
            token = (os.environ if environ is None else environ).get(backend.token_env)
            if not token:
                reason = f"environment variable {backend.token_env} (token_env) is not set"
                raise BackendError(name, redact_url(backend.url), reason)
        return cls(
            name,
            backend.url,
            timeout=backend.timeout_seconds,
            retries=backend.retries,
            token=token,
            tenant=backend.tenant,
            transport=transport,
            sleep=sleep,
            max_response_bytes=max_response_bytes,
        )

    def limit_time(self, seconds: float) -> None:
        """From now on, give up (:class:`BackendError`) once ``seconds`` have passed: no request
        or backoff goes past that point, whatever the timeouts and retries would allow."""
        self._deadline = (self._monotonic() + seconds, seconds)

    def _remaining(self, shown: str) -> float | None:
        if self._deadline is None:
            return None
        left = self._deadline[0] - self._monotonic()
        if left <= 0:
            reason = f"gave up: the run's time limit of {self._deadline[1]:g}s ran out"
            raise BackendError(self.backend, shown, reason)
        return left

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> JsonClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, params: Params | None = None) -> Any:
        """The decoded JSON body of ``GET base_url + path``; raises :class:`BackendError`."""
        url, shown = self.base_url + path, self.display_url + path
        attempts = self.retries + 1
        failure, status = "", None
        for attempt in range(1, attempts + 1):
            left = self._remaining(shown)
            self.requests += 1
            wait: float | None = None
            try:
                timeout = self._timeout if left is None else min(self._timeout, left)
                with self._client.stream("GET", url, params=params, timeout=timeout) as response:
                    content = self._read(response, shown)
            except httpx.TimeoutException:
                failure, status = "timed out", None
            except httpx.TransportError as exc:
                failure = self.scrub(f"cannot connect ({type(exc).__name__}: {exc})")
                status = None
            except httpx.InvalidURL as exc:
                reason = self.scrub(f"invalid URL ({exc})")
                raise BackendError(self.backend, shown, reason) from None
            else:
                if response.status_code < 400:
                    return _decode(self.backend, shown, content)
                failure, status = f"HTTP {response.status_code}", response.status_code
                if status not in RETRY_STATUSES:
                    detail = _detail(self.scrub(content.decode("utf-8", "replace")))
                    reason = f"{failure}: {detail}" if detail else failure
                    raise BackendError(self.backend, shown, reason, status)
                wait = self._retry_after(response)
            if attempt < attempts:
                left = self._remaining(shown)
                delay = self._delay(attempt, wait)
                self._sleep(delay if left is None else min(delay, left))
        raise BackendError(self.backend, shown, f"{failure} after {attempts} attempts", status)

    def scrub(self, text: str) -> str:
        """``text`` with the token and the URL's password blanked (for server-given text)."""
        return scrub(text, self._secrets)

    def told(self, text: str, limit: int = SNIPPET) -> str:
        """Text from the server, or about its answer, fit for a message: secrets blanked
        first (a cut could leave half of one), then one line of at most ``limit`` chars."""
        return one_line(self.scrub(text), limit)

    def malformed(self, path: str, reason: str) -> BackendError:
        """The error for an answer from ``path`` that could not be read, and why."""
        return BackendError(self.backend, self.display_url + path, self.told(reason, 2 * SNIPPET))

    def _read(self, response: httpx.Response, shown: str) -> bytes:
        """The body, chunk by chunk, so the run's time limit also ends a slow download and an
        answer over ``max_response_bytes`` is refused before it is all in memory (counted
        after decompression: a small gzip body may hold gigabytes)."""
        length = response.headers.get("Content-Length", "")
        if length.isdecimal() and int(length) > self.max_response_bytes:
            raise self._too_large(shown)
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_response_bytes:
                raise self._too_large(shown)
            chunks.append(chunk)
            self._remaining(shown)
        return b"".join(chunks)

    def _too_large(self, shown: str) -> BackendError:
        size = self.max_response_bytes
        limit = f"{size // 2**20} MiB" if size % 2**20 == 0 else f"{size} bytes"
        reason = f"answer larger than {limit} (backends.max_response_bytes)"
        return BackendError(self.backend, shown, reason)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self._max_backoff)
        return min(self._backoff * 2.0 ** (attempt - 1), self._max_backoff)

    def _retry_after(self, response: httpx.Response) -> float | None:
        """Seconds asked for by ``Retry-After`` (delta-seconds or an HTTP date), if any."""
        value = response.headers.get("Retry-After", "").strip()
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            return when.timestamp() - self._clock()
        return seconds if math.isfinite(seconds) else None


def _decode(backend: str, url: str, content: bytes) -> Any:
    try:
        return json.loads(content)
    # ValueError: not JSON, not UTF-8, or an integer of more digits than Python converts.
    except ValueError as exc:
        reason = f"invalid JSON in the response: {one_line(str(exc))}"
        raise BackendError(backend, url, reason) from None
    except RecursionError:  # [[[[... : the decoder recurses once per level
        raise BackendError(
            backend, url, "invalid JSON in the response: nested too deeply"
        ) from None


def _detail(text: str) -> str:
    """What the server said about a refused request (its body, secrets already blanked): the
    JSON ``error``/``message`` field, else the start of the body."""
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict):
        for key in ("error", "message"):
            if isinstance(body.get(key), str):
                text = body[key]
                break
    return one_line(text)
