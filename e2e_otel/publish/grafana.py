"""Regression findings as Grafana annotations, through Grafana's HTTP API (``/api/annotations``)
with httpx.

One organization annotation per regression finding, at the moment the series changed, tagged
``e2e-otel`` (the dashboards show annotations with that tag), ``regression`` and
``e2e-otel-finding:<id>``. The finding tag makes publishing idempotent: the annotation is
looked up by it first and updated (or left alone) instead of created again, so a service that
publishes every five minutes keeps one annotation per finding.

The API token comes from the environment variable named by ``backends.grafana.token_env``; it
is sent as ``Authorization: Bearer`` and never written to a log or an error message.

(httpx rather than grafana-client: that client depends on niquests, whose urllib3-future
replaces the ``urllib3`` package of the whole environment. With it, ``requests`` (which the
OTLP/HTTP exporter uses) starts a thread on a connection's first request, which Python 3.12+
refuses during interpreter shutdown: a traced script's last spans were lost.)
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from e2e_otel.analyzers.models import Recommendation, Report
from e2e_otel.analyzers.series import ERROR_RATE_REGRESSION, REGRESSION_RULES
from e2e_otel.config import Config
from e2e_otel.errors import UserError
from e2e_otel.sources.redact import without_userinfo

__all__ = [
    "AnnotationCounts",
    "AnnotationPublisher",
    "GrafanaError",
    "GrafanaNotConfigured",
    "finding_tag",
]

TAGS = ("e2e-otel", "regression")
FINDING_TAG_PREFIX = "e2e-otel-finding:"
DEFAULT_TIMEOUT_S = 5.0
# The cause inside the transport's nested message: "[Errno 111] Connection refused", or a DNS
# failure "Failed to resolve 'host'".
_CAUSE = re.compile(r"\[Errno -?\d+\] ([^'\")]+)|(Failed to resolve '[^']*')")


def finding_tag(finding_id: str) -> str:
    """The tag that identifies a finding's annotation."""
    return f"{FINDING_TAG_PREFIX}{finding_id}"


class GrafanaError(UserError, RuntimeError):
    """Grafana could not be reached, timed out, or refused a request. The message is one line
    naming the URL and the reason, never the token."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"Grafana at {url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass(frozen=True)
class GrafanaNotConfigured:
    """Why annotations cannot be published (no URL, no token): a warning, not a failure."""

    reason: str

    def __str__(self) -> str:
        return f"Grafana annotations skipped: {self.reason}"


@dataclass(frozen=True)
class AnnotationCounts:
    """What one publish did: annotations created, updated, and already up to date."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


class _HttpStatusError(Exception):
    """Grafana answered with an error status; ``str()`` is the status and its message."""


@dataclass(frozen=True)
class _Annotation:
    time_ms: int
    tags: tuple[str, ...]
    text: str


class AnnotationPublisher:
    """Publishes a report's regression findings to one Grafana (see the module docstring)."""

    def __init__(self, url: str, token: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        # Shown in messages: without user:password, should the URL carry them.
        self.url = without_userinfo(url)
        self._token = token
        self._timeout_s = timeout_s
        # The token, never user:password from the URL, authenticates: a Bearer header only.
        self._annotations = self.url.rstrip("/") + "/api/annotations"
        self._client = httpx.Client(
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout_s,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"AnnotationPublisher({self.url!r})"

    @classmethod
    def from_config(
        cls,
        config: Config,
        environ: Mapping[str, str] | None = None,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> AnnotationPublisher | GrafanaNotConfigured:
        """A publisher for ``backends.grafana``, or why there is none (no URL, token variable
        not named, or the variable unset or empty)."""
        environ = os.environ if environ is None else environ
        backend = config.backends.grafana
        if not backend.url:
            return GrafanaNotConfigured("backends.grafana.url is empty")
        if not backend.token_env:
            return GrafanaNotConfigured("backends.grafana.token_env names no variable")
        token = environ.get(backend.token_env, "").strip()
        if not token:
            return GrafanaNotConfigured(
                f"${backend.token_env} is unset or empty (backends.grafana.token_env)"
            )
        return cls(backend.url, token, timeout_s=timeout_s)

    def publish(self, report: Report) -> AnnotationCounts:
        """Create or update the annotation of every regression finding in ``report``.

        Raises :class:`GrafanaError` when Grafana cannot be reached or refuses a request.
        """
        created = updated = unchanged = 0
        for rec in sorted(report.recommendations, key=lambda r: r.id):
            wanted = _annotation(rec)
            if wanted is None:
                continue
            query = {"tags": finding_tag(rec.id), "type": "annotation", "limit": 10}
            found = self._call("GET", "", params=query)
            if not isinstance(found, list):
                raise GrafanaError(self.url, "the annotation search did not answer a list")
            if not found:
                self._call("POST", "", json=_fields(wanted))
                created += 1
            elif _matches(found[0], wanted):
                unchanged += 1
            else:
                self._call("PUT", f"/{int(found[0]['id'])}", json=_fields(wanted))
                updated += 1
        return AnnotationCounts(created, updated, unchanged)

    def close(self) -> None:
        """Close the connections (the publisher is not used afterwards)."""
        self._client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._client.request(method, self._annotations + path, **kwargs)
            if response.status_code >= 400:
                raise _HttpStatusError(f"HTTP {response.status_code} {_message(response)}")
            return response.json()
        except (httpx.HTTPError, _HttpStatusError, ValueError) as exc:  # ValueError: not JSON
            raise GrafanaError(self.url, self._reason(exc)) from None

    def _reason(self, exc: Exception) -> str:
        text = " ".join(str(exc).split()) or type(exc).__name__
        cause = _CAUSE.search(text)
        if isinstance(exc, httpx.TimeoutException):
            text = f"no answer within {self._timeout_s:g} s (timed out)"
        elif isinstance(exc, httpx.TransportError):
            text = f"cannot connect: {(cause[1] or cause[2]).strip()}" if cause else text
        elif isinstance(exc, ValueError):
            text = "the answer is not JSON"
        # A server may echo the request's headers in an error body.
        return text.replace(self._token, "<token>")


def _message(response: httpx.Response) -> str:
    """An error answer's reason: its status phrase and Grafana's ``message``, one line."""
    phrase = response.reason_phrase or ""
    try:
        body = response.json()
    except ValueError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    detail = f": {message}" if isinstance(message, str) and message else ""
    return f"{phrase}{detail}"[:300]


def _annotation(rec: Recommendation) -> _Annotation | None:
    figures = rec.evidence.figures
    changed_at = figures.get("changed_at_unix_s")
    if rec.rule not in REGRESSION_RULES or changed_at is None:
        return None
    tags = (*TAGS, finding_tag(rec.id))
    return _Annotation(round(changed_at * 1000), tags, f"{rec.title}: {_change(rec)}")


def _change(rec: Recommendation) -> str:
    """``baseline -> current (xratio)`` in the series' unit."""
    figures = rec.evidence.figures
    ratio = figures.get("change_ratio")
    baseline, current = figures.get("baseline"), figures.get("current")
    if ratio is None:
        shown = "changed"
    else:
        shown = f"x{ratio:.2f}" if math.isfinite(ratio) else "up from zero"
    if baseline is None or current is None:
        return shown
    if rec.rule == ERROR_RATE_REGRESSION:
        return f"failures {100 * baseline:.1f}% -> {100 * current:.1f}% ({shown})"
    return f"p95 {baseline:.0f} ms -> {current:.0f} ms ({shown})"


def _fields(annotation: _Annotation) -> dict[str, Any]:
    return {
        "time": annotation.time_ms,
        "timeEnd": annotation.time_ms,  # a point in time, not a region
        "tags": list(annotation.tags),
        "text": annotation.text,
    }


def _matches(existing: Mapping[str, Any], wanted: _Annotation) -> bool:
    return (
        existing.get("time") == wanted.time_ms
        and existing.get("text") == wanted.text
        and set(existing.get("tags") or ()) == set(wanted.tags)
    )
