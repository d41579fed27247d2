"""The ``e2e_trace`` fixture's object: the spans a test produced, and ways to pick a trace."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from e2e_otel import attributes as attr
from e2e_otel.sources.models import SpanRecord
from e2e_otel.testing.trace import Trace, TraceAssertionError, _check_layers
from e2e_otel.testing.tree import render

if TYPE_CHECKING:
    from e2e_otel.testing.capture import SpanCapture


_EXPORTED = (
    "Does the other process export to the e2e_otlp_receiver fixture's url (a page: its "
    "collector URL), and is it flushed (flush=)?"
)


class CapturedTraces:
    """Every span finished during the current test (cleared before each test)."""

    def __init__(self, capture: SpanCapture) -> None:
        self._capture = capture

    @property
    def spans(self) -> tuple[SpanRecord, ...]:
        """The spans so far, in start order, with every attribute the app exports."""
        return self._capture.records()

    @property
    def problems(self) -> tuple[str, ...]:
        """What the OTLP receiver (``e2e_otlp_receiver``) could not read: bodies it answered
        400, spans it skipped as malformed."""
        return self._capture.problems()

    def clear(self) -> None:
        """Forget the spans so far (e.g. those of a test's setup requests), received ones too."""
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

    def wait_for(
        self,
        *,
        correlation_id: str | None = None,
        workflow: str | None = None,
        layers: Iterable[str] = ("api", "database"),
        timeout: float = 15.0,
        flush: Callable[[], object] | None = None,
    ) -> Trace:
        """The spans of one workflow run (``correlation_id``) or of a workflow, once they have
        arrived: spans that other processes export (a browser, a Next.js server) reach the
        receiver later than the test's own. Polls until the selection has a span of each of
        ``layers`` and every span's parent (a browser's fetch span before the API's server
        span), calling ``flush`` first each time (e.g. the page's ``forceFlush``); fails after
        ``timeout`` seconds with the tree of what did arrive."""
        __tracebackhide__ = True
        if (correlation_id is None) == (workflow is None):
            raise TypeError("wait_for() takes one of correlation_id= or workflow=")
        wanted = _check_layers(layers)
        if correlation_id is not None:
            key, value, argument = attr.WORKFLOW_ID, correlation_id, "correlation_id"
            label = f"correlation id {value!r}"
        else:
            key, value, argument = attr.WORKFLOW_TYPE, str(workflow), "workflow"
            label = f"workflow {value!r}"
        deadline = time.monotonic() + timeout
        while True:
            if flush is not None:
                flush()
            spans = self.spans
            chosen = [s for s in spans if s.attr(key) == value]
            ids = {s.span_id for s in spans}
            missing = sorted(wanted - {str(s.attr(attr.LAYER)) for s in chosen})
            waiting = [s for s in chosen if s.parent_span_id and s.parent_span_id not in ids]
            if chosen and not missing and not waiting:
                return Trace(chosen, label, self._capture.config)
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        call = f"wait_for({argument}={value!r}, layers={sorted(wanted)})"
        if not chosen:
            raise TraceAssertionError(
                f"{call}: no span of {label} arrived in {timeout:g} s ({len(spans)} spans in "
                f"all). {_EXPORTED}{self._problems_text()}\n{render(spans, max_lines=60)}"
            )
        reasons = [f"no {layer} span" for layer in missing]
        if waiting:
            reasons.append(f"{len(waiting)} span(s) whose parent span never arrived. {_EXPORTED}")
        Trace(chosen, label, self._capture.config)._fail(
            f"{call}: after {timeout:g} s, {label} has {'; '.join(reasons)}"
            + self._problems_text(),
            {s.span_id: "parent not arrived" for s in waiting},
        )

    def _problems_text(self) -> str:
        problems = self.problems
        if not problems:
            return ""
        return "\nThe OTLP receiver could not read:\n" + "\n".join(f"  {p}" for p in problems)

    def _select(self, label: str, wanted: Callable[[SpanRecord], bool], key: str) -> Trace:
        __tracebackhide__ = True
        spans = self.spans
        chosen = [s for s in spans if wanted(s)]
        if not chosen:
            seen = Counter(str(s.attr(key)) for s in spans if s.attr(key) is not None)
            listed = ", ".join(f"{v} ({n} spans)" for v, n in sorted(seen.items())) or "none"
            raise TraceAssertionError(
                f"no span of {label} was captured in this test ({len(spans)} spans in all; "
                f"{key} seen: {listed}){self._problems_text()}\n{render(spans, max_lines=60)}"
            )
        return Trace(chosen, label, self._capture.config)
