"""Service mode: analyse on a schedule and serve the latest findings on ``/metrics``.

``e2e-otel analyze --every 5m --serve 127.0.0.1:9464`` runs :func:`run_service`. A failed run
never ends the service: it is logged on one line, counted, and the last good report stays
served, so Prometheus keeps the findings while ``e2e_otel_analysis_last_success_timestamp_seconds``
shows their age (docs/service.md has the alert).
"""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from types import FrameType

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.registry import Collector

from e2e_otel.analyzers.models import Report
from e2e_otel.errors import UserError
from e2e_otel.publish.prometheus import ReportCollector, RunCollector

__all__ = ["MetricsServer", "ServiceError", "run_service"]

log = logging.getLogger(__name__)


class ServiceError(UserError, RuntimeError):
    """The service cannot start, e.g. ``cannot listen on 127.0.0.1:9464: address in use``."""


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class MetricsServer:
    """``/metrics`` of ``registry`` on ``host:port`` (port 0: a free one), served by a thread."""

    def __init__(self, host: str, port: int, registry: CollectorRegistry) -> None:
        try:
            self._server, self._thread = start_http_server(port, addr=host, registry=registry)
        except (OSError, OverflowError) as exc:  # busy port, unknown host, port > 65535
            reason = (getattr(exc, "strerror", None) or str(exc)).lower()
            raise ServiceError(f"cannot listen on {_address(host, port)}: {reason}") from exc
        self.host = host

    @property
    def port(self) -> int:
        """The port bound (the chosen one when 0 was asked for)."""
        return int(self._server.server_address[1])

    def close(self) -> None:
        """Stop answering and free the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def run_service(
    analyze: Callable[[], Report],
    every: timedelta,
    host: str,
    port: int,
    *,
    on_report: Callable[[Report], None] | None = None,
    on_listening: Callable[[str, int], None] | None = None,
    stop: threading.Event | None = None,
    collectors: Sequence[Collector] = (),
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
    wait: Callable[[float], bool] | None = None,
) -> None:
    """Serve ``/metrics`` on ``host:port`` and run ``analyze`` at once, then every ``every``
    (start to start, so runs do not drift; a run longer than the interval skips the slots it
    overran) until ``stop`` is set or, in the main thread, SIGTERM/SIGINT arrives.

    ``on_report`` gets each new report after it is served (e.g. to post Grafana annotations);
    an exception from it or from ``analyze`` is logged and the service carries on.
    ``on_listening`` gets the bound address once ``/metrics`` answers. ``collectors`` are served
    beside the findings (e.g. the database health the runs refresh). ``clock`` (monotonic)
    schedules runs, ``wall_clock`` stamps successes, and ``wait(seconds)`` sleeps until the next
    run, returning True to stop (default: ``stop.wait``).

    Raises :class:`ServiceError` when the address cannot be bound; ``ValueError`` for an
    interval that is not positive.
    """
    period = every.total_seconds()
    if not period > 0:
        raise ValueError(f"the interval must be positive, not {every}")
    if stop is None:
        stop = threading.Event()
    report_collector, run_collector = ReportCollector(), RunCollector()
    registry = CollectorRegistry()
    registry.register(report_collector)
    registry.register(run_collector)
    for collector in collectors:
        registry.register(collector)
    server = MetricsServer(host, port, registry)
    try:
        with _stop_on_signals(stop):
            if on_listening is not None:
                on_listening(host, server.port)
            log.info(
                "serving /metrics on %s, analysing every %s", _address(host, server.port), every
            )
            next_start = clock()
            while not stop.is_set():
                report = _run(analyze, run_collector, clock, wall_clock)
                if report is not None:
                    report_collector.set_report(report)
                    _notify(on_report, report)
                next_start = _next_start(next_start, period, clock())
                if (wait or stop.wait)(max(next_start - clock(), 0.0)):
                    break
    finally:
        server.close()
    log.info("stopped; %s is free", _address(host, server.port))


def _run(
    analyze: Callable[[], Report],
    runs: RunCollector,
    clock: Callable[[], float],
    wall_clock: Callable[[], float],
) -> Report | None:
    started = clock()
    try:
        report = analyze()
    except Exception as exc:  # any failure of one run: the next run may succeed
        runs.record("failure", clock() - started, wall_clock())
        log.warning("analysis run failed, serving the previous findings: %s", _one_line(exc))
        return None
    runs.record("success", clock() - started, wall_clock())
    return report


def _notify(on_report: Callable[[Report], None] | None, report: Report) -> None:
    if on_report is None:
        return
    try:
        on_report(report)
    except Exception as exc:  # publishing elsewhere must not stop the metrics
        log.warning("publishing the report failed: %s", _one_line(exc))


def _next_start(previous: float, period: float, now: float) -> float:
    """The first slot ``previous + k * period`` (k >= 1) that is not in the past."""
    following = previous + period
    if following < now:
        following += math.ceil((now - following) / period) * period
    return following


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` while the body runs (main thread only: Python delivers
    signals there and nowhere else); the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        # Setting the event from another thread: the handler interrupts the main thread,
        # which may be inside stop.wait() holding the event's lock.
        threading.Thread(target=stop.set, name="e2e-otel-stop").start()

    signums = (signal.SIGTERM, signal.SIGINT)
    previous = {signum: signal.signal(signum, handle) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
