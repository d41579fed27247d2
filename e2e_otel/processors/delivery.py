"""Export with a bounded shutdown and a count of every span that did not make it.

The SDK's batch processor waits up to 30 s at shutdown, and each export to a collector that is
down or blackholed may block for its whole timeout, so an app stopping with a dead collector
hung for half a minute and dropped its queue with a log line or two and no count.
:class:`BudgetedBatchSpanProcessor` gives shutdown a total budget (``E2E_OTEL_SHUTDOWN_TIMEOUT``
seconds, default 5): exports still pending when it is spent are dropped at once instead of
attempted, and the worker thread (a daemon) is not waited for past it. :class:`DeliveryStats`
counts spans handed to export, exported, refused by the exporter, and not sent; a failure is
logged on the spot and then at most once a minute with running totals, and shutdown ends with
one summary line when anything was lost.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from e2e_otel import _guard

_logger = logging.getLogger("e2e_otel")
DEFAULT_SHUTDOWN_TIMEOUT = 5.0
SUMMARY_INTERVAL = 60.0


def _current(counter: itertools.count[int]) -> int:
    """The value ``next(counter)`` would give, without taking it: an ``itertools.count`` of
    step 1 prints as ``count(N)``. (A copy of it, read before, is deprecated since Python 3.12
    and refused from 3.14: the summary at shutdown would have raised.)"""
    return int(repr(counter)[6:-1])


@dataclass(frozen=True)
class DeliverySnapshot:
    """Totals since start. ``lost`` = ``ended`` - ``exported``: refused by the exporter, dropped
    by the SDK's full queue, or not sent within the shutdown budget."""

    ended: int
    exported: int
    failed: int
    failed_exports: int
    dropped_at_shutdown: int

    @property
    def lost(self) -> int:
        return max(self.ended - self.exported, 0)

    @staticmethod
    def total(parts: Iterable[DeliverySnapshot]) -> DeliverySnapshot:
        """The sum of ``parts``, field by field (zeros for none)."""
        sums = [0] * len(fields(DeliverySnapshot))
        for part in parts:
            sums = [a + b for a, b in zip(sums, astuple(part), strict=True)]
        return DeliverySnapshot(*sums)


class DeliveryStats:
    """Thread-safe counters of one export pipeline (shared by the processor and exporter)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        # Counted on the request thread for every span: itertools.count's next() is one atomic
        # C call (no lock to take); its current value is read from its repr.
        self._ended = itertools.count()
        #: Count one ended span: the bound ``__next__`` of an ``itertools.count``, one C call.
        self.tick_ended: Callable[[], int] = self._ended.__next__
        self.exported = self.failed = self.failed_exports = 0
        self.dropped_at_shutdown = 0
        self._next_summary = 0.0
        self._failed_since_summary = 0

    def snapshot(self) -> DeliverySnapshot:
        with self._lock:
            return DeliverySnapshot(
                _current(self._ended),
                self.exported,
                self.failed,
                self.failed_exports,
                self.dropped_at_shutdown,
            )

    def count_exported(self, spans: int) -> None:
        with self._lock:
            self.exported += spans

    def count_dropped(self, spans: int) -> None:
        with self._lock:
            self.dropped_at_shutdown += spans

    def count_failed(self, spans: int, name: str) -> None:
        """A refused export: logged now if no line was written in the last minute."""
        with self._lock:
            self.failed += spans
            self.failed_exports += 1
            self._failed_since_summary += spans
            now = self._clock()
            if now < self._next_summary:
                return
            self._next_summary = now + SUMMARY_INTERVAL
            recent, self._failed_since_summary = self._failed_since_summary, 0
            totals = (self.failed, self.failed_exports)
        _logger.warning(
            "e2e_otel: %s could not export %d span(s) (in all: %d spans in %d failed exports; "
            "next summary in %.0f s at most)",
            name,
            recent,
            *totals,
            SUMMARY_INTERVAL,
        )


class CountingSpanExporter(SpanExporter):
    """Counts what ``exporter`` accepts and refuses; after :meth:`close_by` 's deadline,
    drops batches without trying (and counts them), so shutdown stays within its budget."""

    def __init__(self, exporter: SpanExporter, stats: DeliveryStats, name: str) -> None:
        self._exporter = exporter
        self._stats = stats
        self._name = name
        self._deadline: float | None = None

    @property
    def wrapped(self) -> SpanExporter:
        return self._exporter

    def close_by(self, deadline: float) -> None:
        """Give up on exports that would start after ``deadline`` (``time.monotonic()``)."""
        self._deadline = deadline

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._deadline is not None and time.monotonic() >= self._deadline:
            self._stats.count_dropped(len(spans))
            return SpanExportResult.FAILURE
        try:
            result = self._exporter.export(spans)
        except Exception as exc:  # an exporter must not raise; if it does, count and go on
            _guard.report(f"exporter {self._name}", exc)
            result = SpanExportResult.FAILURE
        if result is SpanExportResult.SUCCESS:
            self._stats.count_exported(len(spans))
        else:
            self._stats.count_failed(len(spans), self._name)
        return result

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._exporter.force_flush(timeout_millis)


class BudgetedBatchSpanProcessor(BatchSpanProcessor):
    """The SDK's batch processor with counted delivery and a shutdown of at most
    ``shutdown_timeout`` seconds (plus the exporter's own shutdown call)."""

    def __init__(
        self,
        exporter: SpanExporter,
        *,
        name: str,
        shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
        stats: DeliveryStats | None = None,
    ) -> None:
        self.stats = stats or DeliveryStats()
        self.name = name
        self._counting = CountingSpanExporter(exporter, self.stats, name)
        self._shutdown_timeout = max(shutdown_timeout, 0.0)
        self._done = False
        super().__init__(self._counting)
        self._count_ended = self.stats.tick_ended
        # The SDK's shared batch processor: its emit() is what on_end ends with, and its
        # shutdown takes a time limit. An SDK without it gets the public methods.
        self._batch: Any = getattr(self, "_batch_processor", None)
        self._emit: Callable[[ReadableSpan], None] = (
            self._batch.emit if self._batch is not None else super().on_end
        )

    def on_end(self, span: ReadableSpan) -> None:
        # On the request thread for every span: the SDK's own on_end, inlined with the count
        # (measured in bench/bench_spans.py; a super() call and a method call per span show).
        context = span.context
        if context is None or not context.trace_flags.sampled:
            return
        self._count_ended()
        self._emit(span)

    def shutdown(self) -> None:
        if self._done:
            return
        self._done = True
        started = time.monotonic()
        self._counting.close_by(started + self._shutdown_timeout)
        if self._batch is not None:
            # The SDK's public shutdown() always waits 30 s; its batch processor takes a limit.
            self._batch.shutdown(timeout_millis=int(self._shutdown_timeout * 1000))
        else:  # an SDK without the shared batch processor
            super().shutdown()  # type: ignore[no-untyped-call]
        self._summarize(time.monotonic() - started)

    def _summarize(self, seconds: float) -> None:
        totals = self.stats.snapshot()
        if not totals.lost:
            _logger.debug("e2e_otel: %s exported all %d span(s)", self.name, totals.exported)
            return
        _logger.warning(
            "e2e_otel: %s lost %d of %d span(s): %d refused in %d failed export(s), %d not sent "
            "within the %.1f s shutdown budget (E2E_OTEL_SHUTDOWN_TIMEOUT), %d dropped by the "
            "SDK's full queue (OTEL_BSP_MAX_QUEUE_SIZE) or still queued; shutdown took %.1f s",
            self.name,
            totals.lost,
            totals.ended,
            totals.failed,
            totals.failed_exports,
            totals.dropped_at_shutdown,
            self._shutdown_timeout,
            max(totals.lost - totals.failed - totals.dropped_at_shutdown, 0),
            seconds,
        )
