"""Run the file analyzers on a large dataset in two processes: this one and a forked child.

Once the input is read, the analyzers are the serial tail of an analysis (about 2.5 s of CPU
for a million spans). A forked child sees the dataset without copying or pickling it (the pages
are shared until written, and the analyzers only read), so the two processes take the rules
one at a time from a shared counter, costliest first, and the child sends back the results of
the rules it ran. The parent runs every rule the child did not deliver (the child died, was
killed, or raised), so the results never depend on the child: they are the same objects, in
the same order, as a sequential run's.

Fork is used only where it is safe (Linux, this process running one thread: a lock held by
another thread would stay locked in the child); otherwise, or when the fork fails, the rules
run here, one after another. A child that sends nothing long after this process finished its
share (``CHILD_GRACE_S``) is killed and its rules run here.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import pickle
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final

from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.models import AnalyzerResult
from e2e_otel.config import Config

Rule = Callable[[Dataset, Config, datetime], AnalyzerResult]

#: Below this many spans a fork (about 10 ms, plus the result's pickling) saves nothing.
PARALLEL_MIN_SPANS: Final = 200_000
#: How long the child may still take once this process has run its share: at least this, or
#: three times this process's own time (the child may hold the costliest rule); a child that
#: sends nothing by then is taken for hung (a fork from one thread should never deadlock, but
#: the report must not wait forever) and killed.
CHILD_GRACE_S: Final = 120.0
# Rules in the order they are handed out: the costliest first (measured on 1M shop-like spans,
# once the columns several rules read are computed, 0.27 s before the fork: regressions and
# slow_queries 0.4 s each, thresholds, n_plus_one and health 0.3 s, parallelizable and chatty
# 0.25 s, error_hotspots 0.12 s; the rest under 0.05 s), so the two processes finish close
# together. Rules not named here come last.
_COSTLIEST_FIRST: Final = (
    "regressions",
    "slow_queries",
    "thresholds",
    "n_plus_one",
    "health",
    "parallelizable",
    "chatty",
    "error_hotspots",
)


def can_fork() -> bool:
    """Whether a forked child would be safe here: on Linux (elsewhere system libraries such as
    macOS's may not survive a fork), in a process running one thread (a lock another thread
    holds would stay locked in the child)."""
    return sys.platform == "linux" and threading.active_count() == 1


def run_rules(
    rules: Sequence[tuple[str, Rule]],
    dataset: Dataset,
    config: Config,
    now: datetime,
    parallel: bool,
) -> list[AnalyzerResult]:
    """Every rule's result, in ``rules`` order; in two processes when ``parallel`` and the
    dataset is large enough for it to pay."""

    def run(index: int) -> AnalyzerResult:
        return rules[index][1](dataset, config, now)

    results: dict[int, AnalyzerResult] = {}
    if parallel and dataset.spans >= PARALLEL_MIN_SPANS and len(rules) >= 2 and can_fork():
        dataset.warm()  # before the fork: the columns several rules read, computed once
        results = _in_two_processes([name for name, _ in rules], run)
    # Whatever the child did not deliver (no fork, killed, crashed, raised, hung) runs here.
    return [results[i] if i in results else run(i) for i in range(len(rules))]


def _in_two_processes(
    names: Sequence[str], run: Callable[[int], AnalyzerResult]
) -> dict[int, AnalyzerResult]:
    """The results of the rules this process and a forked child ran, by index; those the
    child did not deliver are missing."""
    rank = {name: position for position, name in enumerate(_COSTLIEST_FIRST)}
    order = sorted(range(len(names)), key=lambda i: rank.get(names[i], len(rank)))
    try:  # shared with the child: a counter in anonymous shared memory, and its lock
        shared, lock = mmap.mmap(-1, 8), multiprocessing.get_context("fork").Lock()
    except OSError:  # no shared memory or semaphore to be had: one process it is
        return {}

    def take() -> int | None:
        with lock:
            turn = int.from_bytes(shared[:8], "little")
            shared[:8] = (turn + 1).to_bytes(8, "little")
        return order[turn] if turn < len(order) else None

    results: dict[int, AnalyzerResult] = {}
    with shared:
        child = _fork(take, run)
        if child is None:
            return results
        pid, reader = child
        started = time.monotonic()
        try:
            while (index := take()) is not None:
                results[index] = run(index)
            grace = max(CHILD_GRACE_S, 3 * (time.monotonic() - started))
            results.update(_received(reader, time.monotonic() + grace))
        finally:
            os.close(reader)
            _stop(pid)
    return results


def _fork(
    take: Callable[[], int | None], run: Callable[[int], AnalyzerResult]
) -> tuple[int, int] | None:
    """Start the child: it takes rules until none is left, writes their results (pickled) to
    a pipe once, at the end, and leaves with ``os._exit`` (no exit handlers, nothing of this
    process's buffered output printed again). (pid, the pipe's read end), or None when the
    child cannot be started (a fork can fail: memory, process limits, descriptors)."""
    try:
        reader, writer = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        return None
    if pid == 0:  # the child: never returns
        code = 1
        try:
            os.close(reader)
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: gone, without a traceback
            done: dict[int, AnalyzerResult] = {}
            while (index := take()) is not None:
                done[index] = run(index)
            with os.fdopen(writer, "wb") as out:
                out.write(pickle.dumps(done, pickle.HIGHEST_PROTOCOL))
            code = 0
        except BaseException:  # the parent runs whatever is not delivered
            pass
        finally:
            os._exit(code)
    os.close(writer)
    return pid, reader


def _received(reader: int, deadline: float) -> dict[int, AnalyzerResult]:
    """What the child wrote, read to its end; nothing when it ended without writing it all,
    or had not by ``deadline`` (hung: the caller kills it)."""
    chunks: list[bytes] = []
    while (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([reader], [], [], left)
        if not readable:
            continue
        chunk = os.read(reader, 1 << 20)
        if not chunk:  # the end: the child wrote everything, or died
            try:
                received = pickle.loads(b"".join(chunks))
            except Exception:  # cut short: nothing usable
                return {}
            return received if isinstance(received, dict) else {}
        chunks.append(chunk)
    return {}


def _stop(pid: int) -> None:
    """Reap the child, killing it first if it has not ended (hung, or still running because
    this process is leaving early on an exception)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        pass
