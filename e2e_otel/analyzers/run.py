"""Analyze OTLP JSON trace files: read them into a dataset, run every file analyzer, and gather
the findings into one :class:`Report`."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone

from e2e_otel.analyzers.consolidate import consolidate
from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.ingest import Progress, build, default_workers, paused_gc
from e2e_otel.analyzers.models import Recommendation, Report, Sampling
from e2e_otel.analyzers.parallel_rules import run_rules
from e2e_otel.analyzers.registry import RULES, FileAnalyzer, validate
from e2e_otel.config import Config
from e2e_otel.sources.models import InputProblem
from e2e_otel.sources.otlp_files import ProblemHandler

#: (name, function) of every rule, from the registry, in the order their sections appear.
FILE_ANALYZERS: Sequence[tuple[str, FileAnalyzer]] = tuple(
    (rule.name, rule.file_function()) for rule in RULES
)
# A corrupt file can have a problem on every line: the report keeps the first ones and a count.
MAX_PROBLEMS_KEPT = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def analyze_files(
    paths: Iterable[str | os.PathLike[str]],
    config: Config,
    now: datetime,
    on_problem: ProblemHandler | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> Report:
    """Read the OTLP JSON files at ``paths`` and run every file analyzer on them.

    A line that cannot be read is reported to ``on_problem`` and skipped; the report is then
    marked incomplete (``complete=False``, the problems listed). ``progress(bytes_read,
    total_bytes)`` is called as the input is read. ``workers``: processes reading the input
    (default: one per CPU for inputs over 48 MiB, else in-process); with more than one, the
    analyzers of a large dataset run in two processes too.
    Raises :class:`~e2e_otel.config.ConfigError` on bad ``analyzers`` settings, before reading.
    """
    validate(config)
    names = [os.fspath(path) for path in paths]
    problems: list[str] = []
    count = 0

    def report(problem: InputProblem) -> None:
        nonlocal count
        count += 1
        if len(problems) < MAX_PROBLEMS_KEPT:
            problems.append(str(problem))
        if on_problem is not None:
            on_problem(problem)

    # The collector stays paused to the end: the dataset's millions of long-lived objects would
    # make each full collection triggered by the analyzers' short-lived ones walk them again.
    with paused_gc():
        dataset = build(names, report, progress, workers).finish()
        if count > len(problems):
            problems.append(f"... and {count - len(problems)} more problems")
        # A directory's rotated files can be hundreds: the first three and a count.
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        source = f"otlp-files: {shown}"
        parallel = (default_workers() if workers is None else workers) > 1
        return analyze_dataset(dataset, config, now, source, problems, parallel)


def analyze_dataset(
    dataset: Dataset,
    config: Config,
    now: datetime,
    source: str,
    problems: Sequence[str] = (),
    parallel: bool = False,
) -> Report:
    """Run every file analyzer on ``dataset``; recommendations in ``sort_key`` order, sections
    and charts in analyzer order. ``parallel``: a large dataset's analyzers may run in two
    processes (:mod:`.parallel_rules`); the report is the same."""
    results = run_rules(FILE_ANALYZERS, dataset, config, now, parallel)
    found = [r for result in results for r in result.recommendations]
    recommendations = sorted(consolidate(found), key=Recommendation.sort_key)
    return Report(
        generated_at=now,
        source=source,
        window_start=_time(dataset.start_ns),
        window_end=_time(dataset.end_ns),
        spans=dataset.spans,
        traces=len(dataset.trace_ids),
        recommendations=tuple(recommendations),
        sections=tuple(section for result in results for section in result.sections),
        problems=tuple(problems),
        complete=not problems,
        charts=tuple(chart for result in results for chart in result.charts),
        sampling=sampling_of(dataset),
    )


def sampling_of(dataset: Dataset) -> Sampling | None:
    """What the sampling tier's mark on the spans says, or None when no span carries it."""
    if not dataset.sampled:
        return None
    marks = dataset.sampled
    return Sampling(
        policy=", ".join(sorted({mark.policy for mark in marks})),
        baseline_percent=tuple(
            sorted({m.baseline_percent for m in marks if m.baseline_percent is not None})
        ),
        spans=min(sum(marks.values()), dataset.spans),
    )


def _time(ns: int | None) -> datetime | None:
    # Integer arithmetic: a float of nanoseconds since 1970 is not exact to the microsecond.
    return None if ns is None else _EPOCH + timedelta(microseconds=ns // 1000)
