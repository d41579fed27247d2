"""Counted delivery and a bounded shutdown, against exporters that fail or never answer, and
against real OTLP exporters aimed at a dead and a blackholed collector in a child process."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from e2e_otel.processors.delivery import BudgetedBatchSpanProcessor, DeliveryStats
from tests.integration.services import clean_env, free_port


class Refusing(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.FAILURE


class Hanging(SpanExporter):
    """Blocks every export until released, as a blackholed collector does."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.calls += 1
        self.release.wait()
        return SpanExportResult.FAILURE


class Raising(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        raise ConnectionError("exporters should not raise, but some do")


def _spans(processor: BudgetedBatchSpanProcessor, count: int) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("t")
    for index in range(count):
        with tracer.start_as_current_span(f"s{index}"):
            pass
    return provider


def test_refused_exports_are_counted_and_summarized(caplog: pytest.LogCaptureFixture) -> None:
    processor = BudgetedBatchSpanProcessor(Refusing(), name="Refusing", shutdown_timeout=5)
    _spans(processor, 1200)
    with caplog.at_level(logging.WARNING, logger="e2e_otel"):
        processor.shutdown()
    totals = processor.stats.snapshot()
    assert (totals.ended, totals.exported, totals.failed, totals.lost) == (1200, 0, 1200, 1200)
    assert totals.failed_exports >= 3  # 512 spans per export at most
    summary = [r.getMessage() for r in caplog.records if "lost" in r.getMessage()]
    assert summary == [summary[0]] and "lost 1200 of 1200 span(s)" in summary[0]


def test_an_exporter_that_raises_is_counted_not_propagated() -> None:
    processor = BudgetedBatchSpanProcessor(Raising(), name="Raising", shutdown_timeout=5)
    _spans(processor, 10)
    processor.shutdown()
    assert processor.stats.snapshot().failed == 10


def test_shutdown_does_not_wait_for_a_hanging_exporter() -> None:
    exporter = Hanging()
    processor = BudgetedBatchSpanProcessor(exporter, name="Hanging", shutdown_timeout=0.2)
    _spans(processor, 2000)
    done = threading.Event()

    def stop() -> None:
        processor.shutdown()
        done.set()

    threading.Thread(target=stop, daemon=True).start()
    # A generous guard against a hang, not a speed limit: the exporter never returns on its own.
    finished = done.wait(60)
    exporter.release.set()
    assert finished, "shutdown waited for an exporter that never answers"
    totals = processor.stats.snapshot()
    assert totals.ended == 2000 and totals.exported == 0 and totals.lost == 2000
    assert exporter.calls == 1  # the batches queued behind the hung one were never attempted


def test_failure_lines_are_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    stats = DeliveryStats(clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="e2e_otel"):
        for _ in range(50):
            stats.count_failed(10, "X")
        now[0] += 61
        stats.count_failed(10, "X")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert "could not export 10 span(s)" in lines[0]
    assert "could not export 500 span(s) (in all: 510 spans in 51 failed exports" in lines[1]


@pytest.fixture
def blackhole() -> Iterator[int]:
    """A TCP port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


APP = textwrap.dedent(
    """
    import e2e_otel
    from opentelemetry import trace

    handle = e2e_otel.configure(service_name="dead-collector", instrument=False)
    tracer = trace.get_tracer("app")
    for index in range(5000):
        with tracer.start_as_current_span(f"work {index}"):
            pass
    print("app done", flush=True)
    handle.shutdown()
    totals = handle.delivery()
    print("delivery", totals.ended, totals.exported, totals.lost, flush=True)
    """
)


@pytest.mark.parametrize("setup", ["configure", "instrument"])
@pytest.mark.parametrize("collector", ["refused", "blackhole"])
def test_app_with_a_dead_collector_stops_and_says_what_it_lost(
    collector: str, setup: str, blackhole: int
) -> None:
    # Under opentelemetry-instrument the SDK's configurator built the pipeline, and the
    # app's configure() returns its handle.
    command = [str(Path(sys.executable).parent / "opentelemetry-instrument")]
    port = free_port() if collector == "refused" else blackhole
    env = clean_env(
        {
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
            "E2E_OTEL_SHUTDOWN_TIMEOUT": "1",
        }
    )
    prefix = command if setup == "instrument" else []
    result = subprocess.run(
        [*prefix, sys.executable, "-c", APP], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "app done" in result.stdout
    assert "delivery 5000 0 5000" in result.stdout
    summaries = [line for line in result.stderr.splitlines() if " lost " in line]
    assert len(summaries) == 1, result.stderr[-3000:]
    assert "lost 5000 of 5000 span(s)" in summaries[0]
    assert "1.0 s shutdown budget" in summaries[0]


@pytest.mark.parametrize(("raw", "expected"), [("2.5", 2.5), ("0", 0.0), ("", 5.0), ("x", 5.0),
                                               ("-1", 5.0), ("nan", 5.0), ("inf", 5.0)])  # fmt: skip
def test_shutdown_budget_from_the_environment(
    raw: str, expected: float, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from e2e_otel.setup import shutdown_timeout

    monkeypatch.setenv("E2E_OTEL_SHUTDOWN_TIMEOUT", raw)
    assert shutdown_timeout() == expected
    bad = raw.strip() and expected == 5.0
    assert bool(bad) == any("E2E_OTEL_SHUTDOWN_TIMEOUT" in r.getMessage() for r in caplog.records)


def test_the_ended_count_is_read_without_copying_its_counter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # copy.copy of an itertools.count is deprecated since Python 3.12 and refused from 3.14:
    # the shutdown summary would have raised inside the host app.
    import copy

    def refuse(value: object) -> object:
        raise TypeError(f"cannot copy {type(value).__name__}")

    stats = DeliveryStats()
    for _ in range(3):
        stats.tick_ended()
    monkeypatch.setattr(copy, "copy", refuse)
    assert stats.snapshot().ended == 3
    stats.tick_ended()
    assert stats.snapshot().ended == 4
