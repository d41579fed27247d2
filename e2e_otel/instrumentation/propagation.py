"""W3C Trace Context level 2 ``traceresponse`` on every instrumented HTTP response."""

from __future__ import annotations

from opentelemetry.instrumentation.propagators import (
    TraceResponsePropagator,
    get_global_response_propagator,
    set_global_response_propagator,
)


def install_response_propagator() -> None:
    """Install the contrib ``TraceResponsePropagator`` unless the user installed one."""
    if get_global_response_propagator() is None:  # type: ignore[no-untyped-call]
        set_global_response_propagator(TraceResponsePropagator())  # type: ignore[no-untyped-call]
