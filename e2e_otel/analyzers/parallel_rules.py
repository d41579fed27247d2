"""Run the file analyzers on a large dataset in two processes: this one and a forked child.

Once the input is read, the analyzers are the serial tail of an analysis (about 3.5 s of a
million spans' 11). A forked child sees the dataset without copying or pickling it (the pages
are shared until written, and the analyzers only read), so the two processes take the rules
one at a time from a shared counter, costliest first, and the child sends back the results of
the rules it ran. The parent runs every rule the child did not deliver (the child died, was
killed, or raised), so the results never depend on the child: they are the same objects, in
the same order, as a sequential run's.

Fork is used only when it is safe (POSIX, this process running one thread: a lock held by
another thread would stay locked in the child); otherwise the rules run here, one after another.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Final

from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.models import AnalyzerResult
from e2e_otel.config import Config

Rule = Callable[[Dataset, Config, datetime], AnalyzerResult]

#: Below this many spans a fork (about 10 ms, plus the result's pickling) saves nothing.
PARALLEL_MIN_SPANS: Final = 200_000
# Rules in the order they are handed out: the costliest first (measured on 1M shop-like spans:
# slow_queries 0.8 s, thresholds 0.6 s, n_plus_one 0.5 s, parallelizable 0.4 s, regressions
# 0.4 s, health 0.3 s, chatty 0.2 s; the rest under 0.15 s), so the two processes finish close
# together. Rules not named here come last.
_COSTLIEST_FIRST: Final = (
    "slow_queries",
    "thresholds",
    "n_plus_one",
    "parallelizable",
    "regressions",
    "health",
    "chatty",
    "error_hotspots",
)


def can_fork() -> bool:
    """Whether a forked child would be safe here."""
    return os.name == "posix" and threading.active_count() == 1


def run_rules(
    rules: Sequence[tuple[str, Rule]],
    dataset: Dataset,
    config: Config,
    now: datetime,
    parallel: bool,
) -> list[AnalyzerResult]:
    """Every rule's result, in ``rules`` order; in two processes when ``parallel`` and the
    dataset is large enough for it to pay."""
    if not parallel or dataset.spans < PARALLEL_MIN_SPANS or len(rules) < 2 or not can_fork():
        return [rule(dataset, config, now) for _, rule in rules]
    rank = {name: position for position, name in enumerate(_COSTLIEST_FIRST)}
    order = sorted(range(len(rules)), key=lambda i: rank.get(rules[i][0], len(rank)))
    context = multiprocessing.get_context("fork")
    counter = context.Value("i", 0)
    reader, writer = context.Pipe(duplex=False)

    def take() -> int | None:
        with counter.get_lock():
            turn = counter.value
            counter.value = turn + 1
        return order[turn] if turn < len(order) else None

    def child() -> None:  # in the forked process: its rules' results, sent once at the end
        reader.close()
        try:
            done: dict[int, AnalyzerResult] = {}
            while (index := take()) is not None:
                done[index] = rules[index][1](dataset, config, now)
            writer.send(done)
        except BaseException:  # the parent runs whatever is not delivered
            pass
        finally:
            writer.close()

    process = context.Process(target=child, name="e2e-otel-analyzers", daemon=True)
    process.start()
    writer.close()
    try:
        results: dict[int, AnalyzerResult] = {}
        while (index := take()) is not None:
            results[index] = rules[index][1](dataset, config, now)
        results.update(_received(reader))
    finally:
        reader.close()
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()
    return [
        results[i] if i in results else rule(dataset, config, now)
        for i, (_, rule) in enumerate(rules)
    ]


def _received(reader: Connection) -> dict[int, AnalyzerResult]:
    """What the child sent; nothing when it ended without sending (EOF)."""
    try:
        received = reader.recv()
    except (EOFError, OSError):
        return {}
    return received if isinstance(received, dict) else {}
