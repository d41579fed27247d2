"""One CLIENT span per check, in workflow ``validation``, joined by the server's spans.

Each check starts a new trace. The workflow travels the ways docs/attributes.md lists for the
Django side: the ``X-Workflow-Type`` and ``X-Correlation-ID`` headers and W3C baggage
(``e2e.workflow.type`` / ``e2e.workflow.id``), next to ``traceparent``. Spans go through our
processors (so they carry ``e2e.layer`` and ``e2e.error.category`` like any other) to the
exporters ``OTEL_TRACES_EXPORTER`` names and the ``E2E_OTEL_TRACES_FILE``, on a private
tracer provider: validating never replaces the global one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from opentelemetry import baggage, propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, format_trace_id

from e2e_otel import attributes as attr
from e2e_otel import exporters as exp
from e2e_otel.config import Config
from e2e_otel.setup import export_processor, start_processors

WORKFLOW = "validation"
SERVICE = "e2e-otel-validate"
_TRACERESPONSE = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


@dataclass(frozen=True)
class TracedCall:
    """The live span of one check and the headers that carry its context to the server."""

    span: Span
    trace_id: str
    correlation_id: str
    headers: dict[str, str]

    def answered(self, response: httpx.Response) -> bool:
        """Record the status; whether the server's ``traceresponse`` names this trace."""
        code = response.status_code
        self.span.set_attribute("http.response.status_code", code)
        if code >= 400:  # HTTP client semantic conventions: 4xx and 5xx are errors
            self.span.set_attribute("error.type", str(code))
            self.span.set_status(Status(StatusCode.ERROR))
        match = _TRACERESPONSE.match(response.headers.get(attr.HEADER_TRACERESPONSE, ""))
        return match is not None and match.group(1) == self.trace_id

    def failed(self, exc: BaseException) -> None:
        """Record a request that got no response."""
        self.span.record_exception(exc)
        self.span.set_attribute("error.type", type(exc).__qualname__)
        self.span.set_status(Status(StatusCode.ERROR, type(exc).__name__))


class CheckTracing:
    """Starts the checks' client spans on ``provider`` (flushed by :meth:`shutdown`)."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self._tracer = provider.get_tracer("e2e_otel.validation")

    @contextmanager
    def client_span(
        self, method: str, url: httpx.URL, template: str | None = None
    ) -> Iterator[TracedCall]:
        """A CLIENT span (the root of a new trace) around one request."""
        correlation_id = f"validate-{uuid.uuid4().hex}"
        # An empty Context: every check is a trace of its own, whatever is current.
        context = baggage.set_baggage(attr.BAGGAGE_WORKFLOW_TYPE, WORKFLOW, Context())
        context = baggage.set_baggage(attr.BAGGAGE_WORKFLOW_ID, correlation_id, context)
        attributes: dict[str, str | int] = {
            attr.WORKFLOW_TYPE: WORKFLOW,
            attr.WORKFLOW_ID: correlation_id,
            "http.request.method": method,
            "url.full": str(url),
            "server.address": url.host,
        }
        if url.port is not None:
            attributes["server.port"] = url.port
        if template is not None:
            attributes["url.template"] = "/" + template
        name = f"{method} /{template}" if template is not None else method
        span = self._tracer.start_span(
            name, context=context, kind=SpanKind.CLIENT, attributes=attributes
        )
        headers = {attr.HEADER_WORKFLOW_TYPE: WORKFLOW, attr.HEADER_CORRELATION_ID: correlation_id}
        propagate.inject(headers, context=trace.set_span_in_context(span, context))
        call = TracedCall(
            span, format_trace_id(span.get_span_context().trace_id), correlation_id, headers
        )
        try:
            yield call
        finally:
            span.end()

    def shutdown(self) -> None:
        """Export what is pending and stop."""
        self.provider.shutdown()


def check_tracing(
    config: Config, exporters: Sequence[SpanExporter] | None = None, *, batch: bool = True
) -> CheckTracing:
    """Tracing through our processors to ``exporters``, else to those the environment names
    (``OTEL_TRACES_EXPORTER``, default ``otlp``; plus ``E2E_OTEL_TRACES_FILE``).

    The service is ``e2e-otel-validate`` unless ``OTEL_SERVICE_NAME`` (or
    ``OTEL_RESOURCE_ATTRIBUTES``) names one.
    """
    resource = Resource.create()
    # The SDK names an unnamed service "unknown_service:<interpreter>"; ours has a name.
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: SERVICE}))
    provider = TracerProvider(resource=resource)
    for processor in start_processors():
        provider.add_span_processor(processor)
    if exporters is None:
        exporters = exp.load_exporters(exp.exporter_names())
        file_exporter = exp.file_exporter()
        if file_exporter is not None:
            exporters.append(file_exporter)
    for exporter in exporters:
        provider.add_span_processor(export_processor(exporter, config, batch=batch))
    return CheckTracing(provider)
