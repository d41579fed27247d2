"""Browser spans shaped like ``@e2e-otel/web``'s (names and attributes of docs/attributes.md
"Frontend spans"), added to a :class:`~tests.analyzers.conftest.Trace`."""

from __future__ import annotations

from e2e_otel.sources.models import AttributeValue, SpanRecord
from tests.analyzers.conftest import Trace, ns

WEB = "shop-web"
API_ORIGIN = "http://127.0.0.1:8000"


def _span(
    trace: Trace,
    name: str,
    *,
    kind: str = "internal",
    parent: SpanRecord | None = None,
    start: float = 0.0,
    duration: float = 0.0,
    attributes: dict[str, AttributeValue],
    category: str | None = None,
) -> SpanRecord:
    attributes = {**attributes, "e2e.layer": "frontend"}
    if parent is not None and "e2e.workflow.type" in parent.attributes:
        attributes["e2e.workflow.type"] = parent.attributes["e2e.workflow.type"]
        attributes["e2e.workflow.id"] = parent.attributes["e2e.workflow.id"]
    if category:
        attributes["e2e.error.category"] = category
    return trace._add(
        parent_span_id=parent.span_id if parent else None,
        name=name,
        kind=kind,
        start_ns=ns(start),
        end_ns=ns(start + duration),
        status="error" if category else "unset",
        attributes=attributes,
        service_name=WEB,
        scope_name="@e2e-otel/web",
    )


def workflow(
    trace: Trace, kind: str, *, start: float = 0.0, duration: float, category: str | None = None
) -> SpanRecord:
    attributes: dict[str, AttributeValue] = {
        "e2e.workflow.type": kind,
        "e2e.workflow.id": f"{trace.trace_id[:8]}-0000-4000-8000-000000000000",
    }
    return _span(
        trace,
        f"workflow {kind}",
        start=start,
        duration=duration,
        attributes=attributes,
        category=category,
    )


def fetch(
    trace: Trace,
    parent: SpanRecord | None,
    path: str,
    *,
    start: float,
    duration: float,
    method: str = "GET",
    status: int = 200,
    category: str | None = None,
) -> SpanRecord:
    attributes: dict[str, AttributeValue] = {
        "http.request.method": method,
        "url.full": API_ORIGIN + path,
        "http.response.status_code": status,
        "server.address": "127.0.0.1",
        "server.port": 8000,
    }
    return _span(
        trace,
        method,
        kind="client",
        parent=parent,
        start=start,
        duration=duration,
        attributes=attributes,
        category=category,
    )


def render(trace: Trace, component: str, *, duration: float, threshold: float = 100) -> SpanRecord:
    attributes: dict[str, AttributeValue] = {
        "e2e.render.component": component,
        "e2e.render.slow": duration > threshold,
    }
    return _span(trace, f"render {component}", duration=duration, attributes=attributes)


def vital(
    trace: Trace, name: str, value: float, *, start: float = 0.0, path: str | None = None
) -> SpanRecord:
    attributes: dict[str, AttributeValue] = {
        "browser.web_vital.name": name,
        "browser.web_vital.value": value,
        "browser.web_vital.rating": "good",
        "browser.web_vital.navigation_type": "navigate",
        "browser.web_vital.id": f"v5-{trace.trace_id[:8]}",
        "browser.web_vital.delta": value,
    }
    if path is not None:
        attributes["url.path"] = path
    return _span(trace, f"web-vital {name}", start=start, attributes=attributes)


def page_load(
    trace: Trace, path: str, *, start: float = 0.0, duration: float = 300.0
) -> SpanRecord:
    """The document load span of the OpenTelemetry web instrumentation."""
    attributes: dict[str, AttributeValue] = {"url.full": "http://127.0.0.1:3000" + path}
    return _span(trace, "documentLoad", start=start, duration=duration, attributes=attributes)


def navigation(trace: Trace, to: str, *, start: float = 0.0, duration: float = 50.0) -> SpanRecord:
    attributes: dict[str, AttributeValue] = {
        "e2e.navigation.type": "push",
        "e2e.navigation.from": "/",
        "e2e.navigation.to": to,
        "e2e.navigation.outcome": "committed",
        "url.path": to,
    }
    return _span(trace, "navigation", start=start, duration=duration, attributes=attributes)
