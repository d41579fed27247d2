"""The delivery counts of :mod:`~e2e_otel.processors.delivery` as OpenTelemetry metrics.

Two observable counters, read only when a meter provider collects (nothing is added to the
span path), named after the SDK's own ``otel.sdk.exporter.span.exported`` (success and failure
in one counter, ``error.type`` giving the cause):

- ``e2e_otel.span.ended``: sampled spans handed to an export pipeline;
- ``e2e_otel.span.exported``: spans whose export finished; ``error.type`` is ``rejected``
  when the exporter refused them (or raised), ``shutdown_timeout`` when they were not sent
  within ``E2E_OTEL_SHUTDOWN_TIMEOUT``; without ``error.type`` they were delivered.

Each carries ``e2e_otel.exporter``, the exporter's class name. Lost so far = ended - exported
without ``error.type``; the part neither exported nor failed is queued, or was dropped by the
SDK's full queue, which the SDK counts itself (``otel.sdk.processor.span.processed`` with
``error.type=queue_full``, under ``OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED=true``) and is not
counted twice here.

The instruments come from the global meter provider: until one is set it is the API's proxy,
so nothing is created or collected when metrics are off, and an app that sets its provider
later (after :func:`e2e_otel.configure`) still gets them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Final

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from e2e_otel import _guard
from e2e_otel.processors.delivery import BudgetedBatchSpanProcessor, DeliverySnapshot

SPAN_ENDED: Final = "e2e_otel.span.ended"
SPAN_EXPORTED: Final = "e2e_otel.span.exported"
EXPORTER: Final = "e2e_otel.exporter"
ERROR_TYPE: Final = "error.type"  # the semantic-convention attribute
REJECTED: Final = "rejected"  # the value the conventions give a failure without a reason
SHUTDOWN_TIMEOUT: Final = "shutdown_timeout"

_lock = threading.Lock()
_processors: list[BudgetedBatchSpanProcessor] = []
_registered = False


def observe(processors: Iterable[object]) -> None:
    """Report the delivery counts of ``processors`` (those that count) from now on. Kept for
    the life of the process, so the counters stay monotonic across a reconfiguration."""
    global _registered
    with _lock:
        _processors.extend(p for p in processors if isinstance(p, BudgetedBatchSpanProcessor))
        if _registered:
            return
        _registered = True
    meter = metrics.get_meter("e2e_otel")
    meter.create_observable_counter(
        SPAN_ENDED,
        callbacks=[_ended],
        unit="{span}",
        description="Sampled spans handed to an e2e-otel export pipeline.",
    )
    meter.create_observable_counter(
        SPAN_EXPORTED,
        callbacks=[_exported],
        unit="{span}",
        description="Spans whose export finished; error.type is set for those not delivered.",
    )


def _totals() -> dict[str, DeliverySnapshot]:
    with _lock:
        pipelines = [(p.name, p.stats.snapshot()) for p in _processors]
    # Two pipelines to exporters of one class are one series: the same attributes twice in
    # one callback would keep only the last.
    names = dict.fromkeys(name for name, _ in pipelines)
    return {
        name: DeliverySnapshot.total(part for other, part in pipelines if other == name)
        for name in names
    }


def _ended(options: CallbackOptions) -> Iterable[Observation]:
    try:
        return [Observation(t.ended, {EXPORTER: name}) for name, t in _totals().items()]
    except Exception as exc:  # a metrics callback runs in the app: never raise
        _guard.report("delivery metrics", exc)
        return []


def _exported(options: CallbackOptions) -> Iterable[Observation]:
    try:
        observations = []
        for name, t in _totals().items():
            observations += [
                Observation(t.exported, {EXPORTER: name}),
                Observation(t.failed, {EXPORTER: name, ERROR_TYPE: REJECTED}),
                Observation(t.dropped_at_shutdown, {EXPORTER: name, ERROR_TYPE: SHUTDOWN_TIMEOUT}),
            ]
        return observations
    except Exception as exc:
        _guard.report("delivery metrics", exc)
        return []
