"""The ``e2e_trace`` fixture's object: the spans a test produced, and ways to pick a trace."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from e2e_otel import attributes as attr
from e2e_otel.sources.models import SpanRecord
from e2e_otel.testing.trace import Trace, TraceAssertionError
from e2e_otel.testing.tree import render

if TYPE_CHECKING:
    from e2e_otel.testing.capture import SpanCapture


class CapturedTraces:
    """Every span finished during the current test (cleared before each test)."""

    def __init__(self, capture: SpanCapture) -> None:
        self._capture = capture

    @property
    def spans(self) -> tuple[SpanRecord, ...]:
        """The spans so far, in start order, with every attribute the app exports."""
        return self._capture.records()

    def clear(self) -> None:
        """Forget the spans so far (e.g. those of a test's setup requests)."""
        self._capture.clear()

    def all(self) -> Trace:
        """Every span of the test."""
        return Trace(self.spans, "the test's spans", self._capture.config)

    def workflow(self, name: str) -> Trace:
        """The spans of workflow ``name`` (``e2e.workflow.type``), every request of it."""
        __tracebackhide__ = True
        return self._select(
            f"workflow {name!r}",
            lambda s: s.attr(attr.WORKFLOW_TYPE) == name,
            attr.WORKFLOW_TYPE,
        )

    def correlation_id(self, correlation_id: str) -> Trace:
        """The spans of one workflow run: ``e2e.workflow.id`` (the ``X-Correlation-ID``)."""
        __tracebackhide__ = True
        return self._select(
            f"correlation id {correlation_id!r}",
            lambda s: s.attr(attr.WORKFLOW_ID) == correlation_id,
            attr.WORKFLOW_ID,
        )

    def response(self, response: object) -> Trace:
        """The spans of the request that answered ``response`` (a Django test client, httpx,
        requests or Playwright response): by its ``X-Correlation-ID`` header."""
        __tracebackhide__ = True
        headers = getattr(response, "headers", None)
        value = None
        if headers is not None:
            value = headers.get(attr.HEADER_CORRELATION_ID) or headers.get(
                attr.HEADER_CORRELATION_ID.lower()
            )
        if not isinstance(value, str) or not value:
            raise TraceAssertionError(
                f"the response has no {attr.HEADER_CORRELATION_ID} header: was the request "
                "served by the instrumented Django app in this process (test client or "
                "live_server)?"
            )
        return self.correlation_id(value)

    def _select(self, label: str, wanted: Callable[[SpanRecord], bool], key: str) -> Trace:
        __tracebackhide__ = True
        spans = self.spans
        chosen = [s for s in spans if wanted(s)]
        if not chosen:
            seen = Counter(str(s.attr(key)) for s in spans if s.attr(key) is not None)
            listed = ", ".join(f"{v} ({n} spans)" for v, n in sorted(seen.items())) or "none"
            raise TraceAssertionError(
                f"no span of {label} was captured in this test ({len(spans)} spans in all; "
                f"{key} seen: {listed})\n{render(spans, max_lines=60)}"
            )
        return Trace(chosen, label, self._capture.config)
