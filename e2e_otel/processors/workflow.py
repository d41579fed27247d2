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
from opentelemetry.sdk.trace import Span

from e2e_otel import attributes as attr
from e2e_otel import runtime
from e2e_otel.config import valid_correlation_id


class WorkflowStamper:
    """``e2e.workflow.type`` / ``e2e.workflow.id`` at start.

    Source, in order: attributes the span was started with, the local parent span's
    attributes, the W3C baggage in the parent context. Nothing is set when none has a value;
    the Django integration assigns the entry span its values (header, baggage, rules, UUID4).
    """

    name = "workflow"

    def stamp(
        self,
        span: Span,
        own: Mapping[str, Any],
        parent_context: Context | None,
        out: dict[str, Any],
    ) -> None:
        if attr.WORKFLOW_ID in own:
            return
        parent_attrs = getattr(trace.get_current_span(parent_context), "attributes", None)
        if parent_attrs:
            wf_id = parent_attrs.get(attr.WORKFLOW_ID)
            if wf_id is not None:
                wf_type = parent_attrs.get(attr.WORKFLOW_TYPE)
                if wf_type is not None and attr.WORKFLOW_TYPE not in own:
                    out[attr.WORKFLOW_TYPE] = wf_type
                out[attr.WORKFLOW_ID] = wf_id
                return
        _from_baggage(own, parent_context, out)


def _from_baggage(
    own: Mapping[str, Any], parent_context: Context | None, out: dict[str, Any]
) -> None:
    entries = baggage.get_all(parent_context)
    if not entries:
        return
    # Baggage comes from the client: only well-formed, accepted values are copied.
    wf_type = entries.get(attr.BAGGAGE_WORKFLOW_TYPE)
    wf_id = valid_correlation_id(entries.get(attr.BAGGAGE_WORKFLOW_ID))
    if (
        isinstance(wf_type, str)
        and attr.WORKFLOW_TYPE not in own
        and runtime.get_config().workflows.accepts(wf_type)
    ):
        out[attr.WORKFLOW_TYPE] = wf_type
    if wf_id is not None:
        out[attr.WORKFLOW_ID] = wf_id
