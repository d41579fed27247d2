"""Stamp every span with its request's workflow type and correlation id.

The entry point (the Django integration, or a remote parent's baggage) decides the workflow;
every in-process descendant copies it from its parent span at start. Copying from the parent
rather than from a context variable needs no context juggling and is O(1) per span.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry import baggage, trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from e2e_otel import _guard, runtime
from e2e_otel import attributes as attr
from e2e_otel.config import WorkflowConfig, valid_correlation_id


class WorkflowSpanProcessor(SpanProcessor):
    """``e2e.workflow.type`` / ``e2e.workflow.id`` at start.

    Source, in order: attributes the span was started with, the local parent span's
    attributes, the W3C baggage in the parent context. Nothing is set when none has a value;
    the Django integration assigns the entry span its values (header, baggage, rules, UUID4).
    This must happen at start: a child is exported independently of its parent, so it can only
    inherit while both are in flight. ``workflows`` decides which workflow types baggage may
    carry (default: the configuration installed by ``configure()``).
    """

    def __init__(self, workflows: WorkflowConfig | None = None) -> None:
        self._workflows = workflows

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        try:
            own = span.attributes or {}
            if attr.WORKFLOW_ID in own:
                return
            out: dict[str, Any] = {}
            parent_attrs = getattr(trace.get_current_span(parent_context), "attributes", None)
            wf_id = parent_attrs.get(attr.WORKFLOW_ID) if parent_attrs else None
            if wf_id is not None:
                wf_type = parent_attrs.get(attr.WORKFLOW_TYPE)  # type: ignore[union-attr]
                if wf_type is not None and attr.WORKFLOW_TYPE not in own:
                    out[attr.WORKFLOW_TYPE] = wf_type
                out[attr.WORKFLOW_ID] = wf_id
            else:
                workflows = self._workflows or runtime.get_config().workflows
                _from_baggage(own, parent_context, out, workflows)
            # set_attribute per key: measured cheaper than one set_attributes for two keys.
            for key, value in out.items():
                span.set_attribute(key, value)
        except Exception as exc:  # never raise into the app
            _guard.report("workflow processor", exc)

    def on_end(self, span: ReadableSpan) -> None:
        return None

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def _from_baggage(
    own: Mapping[str, Any],
    parent_context: Context | None,
    out: dict[str, Any],
    workflows: WorkflowConfig,
) -> None:
    entries = baggage.get_all(parent_context)
    if not entries:
        return
    # Baggage comes from the client: only well-formed, accepted values are copied.
    wf_type = entries.get(attr.BAGGAGE_WORKFLOW_TYPE)
    wf_id = valid_correlation_id(entries.get(attr.BAGGAGE_WORKFLOW_ID))
    if isinstance(wf_type, str) and attr.WORKFLOW_TYPE not in own and workflows.accepts(wf_type):
        out[attr.WORKFLOW_TYPE] = wf_type
    if wf_id is not None:
        out[attr.WORKFLOW_ID] = wf_id
