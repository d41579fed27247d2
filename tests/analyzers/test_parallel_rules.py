"""The analyzers of a large dataset run in this process and a forked child: the report is a
sequential run's, whatever the child does."""

from __future__ import annotations

import errno
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from e2e_otel.analyzers import parallel_rules
from e2e_otel.analyzers.builder import build_dataset
from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.ingest import build
from e2e_otel.analyzers.models import AnalyzerResult
from e2e_otel.analyzers.parallel_rules import Rule, run_rules
from e2e_otel.analyzers.run import FILE_ANALYZERS, analyze_dataset
from e2e_otel.config import Config
from e2e_otel.publish.json_report import render_json
from tests.analyzers.conftest import REVIEWS, Trace, spans_of, write_otlp

NOW = datetime(2027, 1, 1, tzinfo=timezone.utc)
PARENT = os.getpid()


@pytest.fixture
def small_is_large(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the parallel path apply to the small datasets of these tests, and fork although
    threads earlier tests left behind (idle exporters' threads) may still run here."""
    monkeypatch.setattr(parallel_rules, "PARALLEL_MIN_SPANS", 1)
    monkeypatch.setattr(parallel_rules, "can_fork", lambda: True)


def _traces(n: int) -> list[Trace]:
    """Requests of a list page with an N+1 loop; every fifth slow and failing."""
    traces = [Trace() for _ in range(n)]
    for i, trace in enumerate(traces):
        slow = i % 5 == 0
        server = trace.request(
            "api/products/with-reviews/",
            start=i * 50.0,
            duration=900.0 if slow else 40.0,
            status_code=500 if slow else 200,
            error=slow,
        )
        trace.loop(server, REVIEWS, 8, start=i * 50.0 + 1, duration=3.0)
    return traces


def _dataset() -> Dataset:
    return build_dataset(spans_of(_traces(20)))


def _rule(name: str, seconds: float = 0.2, die_in_child: bool = False) -> tuple[str, Rule]:
    def rule(dataset: Dataset, config: Config, now: datetime) -> AnalyzerResult:
        if die_in_child and os.getpid() != PARENT:
            os._exit(3)  # killed mid-rule: nothing is sent
        time.sleep(seconds)  # long enough that the child, once forked, takes some rules
        return AnalyzerResult(analyzer=f"{name}@{os.getpid()}")

    return name, rule


def _names_and_processes(results: list[AnalyzerResult]) -> tuple[list[str], set[str]]:
    pairs = [result.analyzer.split("@") for result in results]
    return [name for name, _ in pairs], {pid for _, pid in pairs}


def test_rules_run_in_two_processes_and_come_back_in_order(small_is_large: None) -> None:
    rules = [_rule(f"r{i}") for i in range(6)]
    results = run_rules(rules, _dataset(), Config(), NOW, parallel=True)
    names, processes = _names_and_processes(results)
    assert names == [f"r{i}" for i in range(6)]
    assert str(PARENT) in processes and len(processes) == 2  # the child ran some rules


def test_what_a_dead_child_did_not_deliver_is_run_here(small_is_large: None) -> None:
    rules = [_rule(f"r{i}", die_in_child=True) for i in range(4)]
    results = run_rules(rules, _dataset(), Config(), NOW, parallel=True)
    assert _names_and_processes(results) == ([f"r{i}" for i in range(4)], {str(PARENT)})


def test_a_failed_fork_runs_every_rule_here_and_leaks_nothing(
    small_is_large: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fork() -> int:
        raise OSError(errno.ENOMEM, "Cannot allocate memory")

    monkeypatch.setattr(os, "fork", no_fork)
    rules = [_rule(f"r{i}", seconds=0.01) for i in range(3)]
    descriptors = len(os.listdir("/proc/self/fd"))
    results = run_rules(rules, _dataset(), Config(), NOW, parallel=True)
    assert _names_and_processes(results) == (["r0", "r1", "r2"], {str(PARENT)})
    assert len(os.listdir("/proc/self/fd")) == descriptors  # both pipe ends closed


def test_a_hung_child_is_killed_and_its_rules_run_here(
    small_is_large: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel_rules, "CHILD_GRACE_S", 1.0)

    def hangs_in_child(name: str) -> tuple[str, Rule]:
        def rule(dataset: Dataset, config: Config, now: datetime) -> AnalyzerResult:
            if os.getpid() != PARENT:
                time.sleep(3600)  # a deadlocked child, say
            time.sleep(0.2)
            return AnalyzerResult(analyzer=f"{name}@{os.getpid()}")

        return name, rule

    rules = [hangs_in_child(f"r{i}") for i in range(3)]
    started = time.monotonic()
    results = run_rules(rules, _dataset(), Config(), NOW, parallel=True)
    assert _names_and_processes(results) == (["r0", "r1", "r2"], {str(PARENT)})
    assert time.monotonic() - started < 30  # not the hour the child would have slept


def test_a_failing_rule_fails_as_it_does_sequentially(small_is_large: None) -> None:
    def broken(dataset: Dataset, config: Config, now: datetime) -> AnalyzerResult:
        raise ValueError("rule bug")

    with pytest.raises(ValueError, match="rule bug"):
        run_rules([_rule("a"), ("broken", broken), _rule("b")], _dataset(), Config(), NOW, True)


def test_no_fork_while_another_thread_runs_or_when_not_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parallel_rules, "PARALLEL_MIN_SPANS", 1)
    rules = [_rule(f"r{i}", seconds=0.01) for i in range(3)]
    assert _names_and_processes(run_rules(rules, _dataset(), Config(), NOW, False))[1] == {
        str(PARENT)
    }
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        results = run_rules(rules, _dataset(), Config(), NOW, parallel=True)
    finally:
        stop.set()
        other.join()
    assert _names_and_processes(results)[1] == {str(PARENT)}


def test_small_datasets_stay_in_process() -> None:
    rules = [_rule(f"r{i}", seconds=0.01) for i in range(3)]
    results = run_rules(rules, _dataset(), Config(), NOW, parallel=True)
    assert _names_and_processes(results)[1] == {str(PARENT)}


def test_the_report_of_the_real_rules_is_the_sequential_one(
    small_is_large: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.jsonl"
    write_otlp(path, spans_of(_traces(300)), per_line=7)
    dataset = build([path], lambda problem: None).finish()
    delivered: list[int] = []
    received = parallel_rules._received

    def counted(*args: Any) -> dict[int, AnalyzerResult]:
        results = received(*args)
        delivered.append(len(results))
        return results

    monkeypatch.setattr(parallel_rules, "_received", counted)
    sequential = analyze_dataset(dataset, Config(), NOW, "t", parallel=False)
    parallel = analyze_dataset(dataset, Config(), NOW, "t", parallel=True)
    assert sequential.recommendations and len(FILE_ANALYZERS) > 2
    assert len(delivered) == 1 and delivered[0] >= 1  # the child ran some of the real rules
    assert render_json(parallel) == render_json(sequential)
