"""Service mode: /metrics over HTTP, scheduled runs, failures that keep the last good report."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest

from e2e_otel import metrics as m
from e2e_otel.analyzers.models import Report
from e2e_otel.service import ServiceError, run_service
from tests.publish.test_prometheus_exposition import (
    LATENCY,
    N_PLUS_ONE,
    SLOW,
    findings_report,
    series,
)

SAFETY = 30  # seconds: only a hang ever waits this long
WALL_T0 = 1_700_000_000.0


@dataclass
class Schedule:
    """Stands in for the clocks and the wait between runs: analysis takes ``run_s`` seconds
    of fake time, and each wait blocks until the test lets the next run start."""

    run_s: float = 3.0
    now: float = 0.0
    waits: list[float] = field(default_factory=list)
    _go: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    _idle: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    _stopping: bool = False

    def clock(self) -> float:
        return self.now

    def wall_clock(self) -> float:
        return WALL_T0 + self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        self._idle.release()
        assert self._go.acquire(timeout=SAFETY), "the test never released the service"
        return self._stopping

    def analyzing(self, reports: Iterator[Report | Exception]) -> Callable[[], Report]:
        """An ``analyze`` returning (or raising) ``reports`` in turn, taking ``run_s``."""

        def analyze() -> Report:
            self.now += self.run_s
            outcome = next(reports)
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

        return analyze

    def run_done(self) -> None:
        """Block until the current run has finished and the service waits."""
        assert self._idle.acquire(timeout=SAFETY), "the run did not finish"

    def next_run(self) -> None:
        self._go.release()
        self.run_done()

    def stop(self) -> None:
        self._stopping = True
        self._go.release()


@dataclass
class Running:
    schedule: Schedule
    port: int
    reports: list[Report]

    def scrape(self) -> str:
        response = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=SAFETY)
        assert response.status_code == 200
        return response.text


@contextmanager
def service(
    outcomes: list[Report | Exception],
    every: timedelta = timedelta(seconds=10),
    on_report: Callable[[Report], None] | None = None,
    schedule: Schedule | None = None,
) -> Iterator[Running]:
    """``run_service`` in a thread on a free loopback port, first run done."""
    schedule = schedule or Schedule()
    listening: list[int] = []
    published: list[Report] = []

    def record(report: Report) -> None:
        published.append(report)
        if on_report is not None:
            on_report(report)

    thread = threading.Thread(
        target=run_service,
        args=(schedule.analyzing(iter(outcomes)), every, "127.0.0.1", 0),
        kwargs={
            "on_report": record,
            "on_listening": lambda host, port: listening.append(port),
            "clock": schedule.clock,
            "wall_clock": schedule.wall_clock,
            "wait": schedule.wait,
        },
    )
    thread.start()
    try:
        schedule.run_done()
        yield Running(schedule, listening[0], published)
    finally:
        schedule.stop()
        thread.join(SAFETY)
    assert not thread.is_alive()


def runs(text: str) -> dict[tuple[str, ...], float]:
    return series(text, m.ANALYSIS_RUNS, m.ANALYSIS_OUTCOME)


def finding_ids(text: str) -> set[str]:
    return {labels[0] for labels in series(text, m.FINDING_INFO, m.FINDING_ID)}


def test_serves_the_latest_report_and_counts_runs() -> None:
    first = findings_report(SLOW, LATENCY)
    second = findings_report(SLOW, N_PLUS_ONE, spans=7000)
    with service([first, second]) as running:
        text = running.scrape()
        assert finding_ids(text) == {SLOW.id, LATENCY.id}
        assert runs(text) == {("success",): 1, ("failure",): 0}
        assert series(text, m.ANALYSIS_DURATION) == {(): 3.0}
        assert series(text, m.ANALYSIS_LAST_SUCCESS) == {(): WALL_T0 + 3.0}

        running.schedule.next_run()
        text = running.scrape()
        assert finding_ids(text) == {SLOW.id, N_PLUS_ONE.id}  # the regression is gone
        assert series(text, m.ANALYSIS_SPANS) == {(): 7000}
        assert runs(text) == {("success",): 2, ("failure",): 0}
        assert series(text, m.ANALYSIS_LAST_SUCCESS) == {(): WALL_T0 + 13.0}
        assert running.reports == [first, second]


def test_a_failed_run_keeps_the_last_good_report(caplog: pytest.LogCaptureFixture) -> None:
    good = findings_report(SLOW)
    with service([good, RuntimeError("tempo: connection refused\nretry later")]) as running:
        running.schedule.next_run()
        text = running.scrape()
        assert finding_ids(text) == {SLOW.id}
        assert runs(text) == {("success",): 1, ("failure",): 1}
        assert series(text, m.ANALYSIS_LAST_SUCCESS) == {(): WALL_T0 + 3.0}  # now stale
        assert running.reports == [good]
    failures = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(failures) == 1
    assert "RuntimeError: tempo: connection refused retry later" in failures[0].getMessage()
    assert "\n" not in failures[0].getMessage()


def test_a_failing_on_report_does_not_stop_the_service(caplog: pytest.LogCaptureFixture) -> None:
    def broken(report: Report) -> None:
        raise ConnectionError("grafana down")

    with service([findings_report(SLOW), findings_report(N_PLUS_ONE)], on_report=broken) as running:
        running.schedule.next_run()
        text = running.scrape()
        assert finding_ids(text) == {N_PLUS_ONE.id}
        assert runs(text) == {("success",): 2, ("failure",): 0}
    assert "ConnectionError: grafana down" in caplog.text


def test_runs_start_on_schedule_without_drift() -> None:
    schedule = Schedule(run_s=3.0)
    with service([findings_report()] * 3, schedule=schedule) as running:
        running.schedule.next_run()
        running.schedule.next_run()
    # Each run took 3 s of the 10 s interval: the waits fill the rest, start to start.
    assert schedule.waits[:3] == [7.0, 7.0, 7.0]


def test_an_overrunning_run_skips_the_slots_it_missed() -> None:
    schedule = Schedule(run_s=25.0)
    with service([findings_report()] * 2, schedule=schedule):
        pass
    # Started at 0, ended at 25: the slots at 10 and 20 are gone, the next is at 30.
    assert schedule.waits[0] == 5.0


def test_stop_ends_the_service_and_frees_the_port() -> None:
    with service([findings_report()]) as running:
        running.scrape()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{running.port}/metrics", timeout=SAFETY)
    with socket.socket() as again:  # the port can be listened on again
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", running.port))
        again.listen()


def test_a_busy_port_is_a_clear_error() -> None:
    calls: list[int] = []

    def analyze() -> Report:
        calls.append(1)
        return findings_report()

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServiceError, match=f"cannot listen on 127.0.0.1:{port}: address"):
            run_service(analyze, timedelta(minutes=1), "127.0.0.1", port)
    assert calls == []  # nothing analysed when nothing could be served


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        run_service(findings_report, timedelta(0), "127.0.0.1", 0)


def test_sigterm_in_the_main_thread_stops_cleanly() -> None:
    assert threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGTERM)
    stop = threading.Event()
    calls: list[int] = []

    def analyze() -> Report:
        calls.append(1)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGTERM)  # handled by the service, not by pytest
        else:  # the signal did not stop the service: end it so the test fails, not hangs
            stop.set()
        return findings_report()

    run_service(
        analyze, timedelta(hours=1), "127.0.0.1", 0, stop=stop, wait=lambda s: stop.wait(SAFETY)
    )
    assert calls == [1]
    assert stop.is_set()
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_port_out_of_range_is_a_clear_error() -> None:
    with pytest.raises(ServiceError, match=r"cannot listen on 127\.0\.0\.1:70000: .*0-65535"):
        run_service(findings_report, timedelta(minutes=1), "127.0.0.1", 70000)
