"""Read OTLP JSON files into a :class:`DatasetBuilder`, in parallel when the input is large.

Decoding and folding a span costs about 8 µs in CPython even with msgspec and the fast path of
:mod:`e2e_otel.sources.otlp_fast` (spans folded as fields, no record built), so a million spans
take longer than the analysis budget on one core. Large inputs are therefore cut into byte
ranges at line boundaries (each line of an OTLP JSON file is a complete request) and read by
worker processes, each folding its range into a :class:`DatasetBuilder`; the parent merges the
builders in input order, so problems keep their file line numbers and the result is the same
as a sequential read. Small inputs are read in-process with no pool to start.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import gzip
import heapq
import itertools
import math
import multiprocessing
import os
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat, starmap

from e2e_otel.analyzers.builder import DatasetBuilder, span_key
from e2e_otel.analyzers.builder_merge import MASK, duplicate_reason
from e2e_otel.sources.models import InputProblem, SpanFields, SpanRecord
from e2e_otel.sources.otlp_files import (
    READ_ERRORS,
    ProblemHandler,
    compression,
    plausible_until,
    read_error,
    read_spans,
    spans_of_line,
    unreadable,
)

try:
    from e2e_otel.sources.otlp_fast import decode_fields
except ImportError:  # no msgspec (the analyzer extra): `map --traces` reads with the general reader

    def decode_fields(line: bytes | str, latest_ns: int) -> list[SpanFields] | None:
        return None


Progress = Callable[[int, int], None]

CHUNK_BYTES = 32 * 1024 * 1024
# Below this a process pool costs more than it saves (a spawned worker starts in ~0.2 s).
PARALLEL_MIN_BYTES = 48 * 1024 * 1024


@dataclass(frozen=True)
class Task:
    """Lines of ``path`` in bytes [start, end); ``whole``: the file read by ``read_spans``
    (pretty-printed JSON, a compressed file, or a file that cannot be opened: it reports that
    itself)."""

    path: str
    start: int
    end: int
    whole: bool = False
    gzip: bool = False  # compressed: read to the end, through gzip, from start 0

    @property
    def size(self) -> int:
        return self.end - self.start


@dataclass
class TaskResult:
    builder: DatasetBuilder
    lines: int = 0  # lines consumed, to number the next range's problems
    problems: list[InputProblem] = field(default_factory=list)
    duplicates: list[InputProblem] = field(default_factory=list)
    # With a tracking builder: the line of each span folded, in the builder's add order.
    span_lines: array[int] = field(default_factory=lambda: array("I"))

    def all_problems(self) -> Iterator[InputProblem]:
        """Problems in line order, the duplicates of a line after its other problems and
        sorted: the same order whether the duplicates were found while reading or merging."""
        duplicates = sorted(self.duplicates, key=lambda p: (p.line, p.reason))
        return heapq.merge(self.problems, duplicates, key=lambda p: p.line)


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def plan(paths: Iterable[str | os.PathLike[str]], chunk_bytes: int = CHUNK_BYTES) -> list[Task]:
    """Cut the input into tasks at line boundaries."""
    tasks = []
    for raw in paths:
        path = os.fspath(raw)
        if unreadable(path) is not None:  # a FIFO is never opened: that could block
            tasks.append(Task(path, 0, 0, whole=True))
            continue
        kind = compression(path)
        if kind is not None:  # no line boundaries to cut at in compressed bytes: one task
            size = os.stat(path).st_size
            tasks.append(Task(path, 0, size, whole=kind != "gzip" or _gzip_pretty(path), gzip=True))
            continue
        try:
            size = os.stat(path).st_size
            with open(path, "rb") as handle:
                pretty = handle.readline().strip() == b"{"
                cuts = [0]
                while cuts[-1] + chunk_bytes < size and not pretty:
                    handle.seek(cuts[-1] + chunk_bytes)
                    handle.readline()  # to the end of the line the cut fell into
                    cuts.append(min(handle.tell(), size))
        except OSError:
            tasks.append(Task(path, 0, 0, whole=True))
            continue
        if pretty:
            tasks.append(Task(path, 0, size, whole=True))
            continue
        cuts.append(size)
        tasks.extend(Task(path, a, b) for a, b in itertools.pairwise(cuts) if b > a)
    return tasks


def _gzip_pretty(path: str) -> bool:
    """Whether a gzip file starts with a lone "{" (pretty-printed JSON, read whole), or cannot
    be read (the general reader says why)."""
    try:
        with gzip.open(path, "rb") as handle:
            return handle.readline().strip() == b"{"
    except READ_ERRORS:
        return True


def read_into(task: Task, result: TaskResult, latest_ns: int) -> None:
    """Fold one task's spans into ``result.builder``, counting the lines read (problems are
    numbered from the start of the range); spans ending after ``latest_ns`` are skipped."""
    builder, report = result.builder, result.problems.append
    add_fields = builder.add_fields
    track = builder.added_span is not None
    span_lines = result.span_lines

    def folded(added: bool, trace_id: str, span_id: str, number: int) -> None:
        """Note where a span came from (``added``), or the duplicate the builder refused."""
        if added:
            if track:
                span_lines.append(number)
            return
        bits = span_key(0, span_id) & MASK
        reason = duplicate_reason(trace_id, bits)
        result.duplicates.append(InputProblem(task.path, number, reason))

    def fold(span: SpanRecord, number: int) -> None:
        folded(builder.add(span), span.trace_id, span.span_id, number)

    if task.whole:
        for span in read_spans([task.path], report, latest_ns):
            fold(span, 1)  # a whole-file task is one (pretty-printed) request
        return
    number = 0
    try:
        # Closed below; open errors reported.
        handle = gzip.open(task.path, "rb") if task.gzip else open(task.path, "rb")  # noqa: SIM115
    except OSError as exc:
        report(InputProblem(task.path, 0, f"cannot open: {exc.strerror or exc}"))
        return
    with handle:
        handle.seek(task.start)
        # A gzip task is the whole file, its size the compressed one: read to the end.
        remaining = math.inf if task.gzip else task.size
        try:
            for raw in handle:
                number += 1
                remaining -= len(raw)
                fast = decode_fields(raw, latest_ns)
                if fast is not None:  # the usual line: folded without building records
                    # The spans folded by a loop in C (starmap) and their line noted once for
                    # all: no Python loop nor call of folded() per span.
                    added = list(starmap(add_fields, fast))
                    if track:
                        span_lines.extend(repeat(number, sum(added)))
                    if not all(added):
                        for fields, was_added in zip(fast, added, strict=True):
                            if not was_added:
                                folded(False, fields[0], fields[1], number)
                else:
                    # Same reading as otlp_files: UTF-8 with replacement, blank lines skipped.
                    line = raw.decode("utf-8", errors="replace")
                    if line.strip():
                        for span in spans_of_line(line, task.path, number, report, latest_ns):
                            fold(span, number)
                if remaining <= 0:
                    break
        except READ_ERRORS as exc:  # a gzip file cut short or corrupt
            report(InputProblem(task.path, number + 1, read_error(exc, compressed=task.gzip)))
    result.lines = number


def _run_task(task: Task, latest_ns: int) -> TaskResult:
    result = TaskResult(DatasetBuilder(track=True))
    with paused_gc():
        read_into(task, result, latest_ns)
    return result


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: decoding creates millions of short-lived containers
    (freed by reference counting) while the builder's long-lived ones grow, and every full
    collection would walk all of them again; with it on, reading takes about twice as long."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _results(
    tasks: Sequence[Task], workers: int, shared: DatasetBuilder, latest_ns: int
) -> Iterator[TaskResult]:
    if workers <= 1:  # in-process: fold straight into the shared builder, nothing to merge
        for task in tasks:
            result = TaskResult(shared)
            read_into(task, result, latest_ns)
            yield result
        return
    # Fork is safe only while this process runs one thread (a lock held by another thread
    # would stay locked in the child forever); otherwise spawn, which like any spawn needs the
    # calling script to guard its entry point with `if __name__ == "__main__":`.
    method = "fork" if threading.active_count() == 1 and os.name == "posix" else "spawn"
    with multiprocessing.get_context(method).Pool(min(workers, len(tasks))) as pool:
        yield from pool.imap(functools.partial(_run_task, latest_ns=latest_ns), tasks)


def build(
    paths: Iterable[str | os.PathLike[str]],
    on_problem: ProblemHandler,
    progress: Progress | None = None,
    workers: int | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    latest_ns: int | None = None,
) -> DatasetBuilder:
    """Read every file into one builder; problems go to ``on_problem`` with file line numbers.

    ``workers``: processes to read with (default: one per CPU when the input is over
    PARALLEL_MIN_BYTES, else 1, in-process); ``chunk_bytes``: the size of one worker's range;
    ``latest_ns``: spans ending after this are skipped (default: a day after now, taken once
    so that every worker applies the same limit). A span whose trace already had a span with
    its id is skipped as a duplicate, the first copy in input order being kept.
    """
    tasks = plan(paths, chunk_bytes)
    total = sum(task.size for task in tasks)
    if workers is None:
        workers = default_workers() if total >= PARALLEL_MIN_BYTES else 1
    latest = plausible_until() if latest_ns is None else latest_ns
    builder = DatasetBuilder()
    line_offset: dict[str, int] = {}
    done = 0
    with paused_gc():
        results = zip(tasks, _results(tasks, workers, builder, latest), strict=True)
        for task, result in results:
            if result.builder is not builder:
                for duplicate in builder.merge(result.builder):
                    line = result.span_lines[duplicate.position]
                    result.duplicates.append(InputProblem(task.path, line, duplicate.reason))
            offset = line_offset.get(task.path, 0)
            for problem in result.all_problems():
                on_problem(problem._replace(line=problem.line + offset))
            line_offset[task.path] = offset + result.lines
            done += task.size
            if progress is not None:
                progress(done, total)
    return builder
