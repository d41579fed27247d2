"""Consecutive independent-looking queries: reads of different fingerprints under one parent,
strictly one after the other, each taking ``min_query_ms`` or more. Run concurrently they
would take as long as the slowest one, saving the sum minus the max.

Traces cannot show data dependencies (a query may need the previous one's result), so these
findings are suggestions to check. Writes are left out: inside a transaction their order
matters and one connection cannot run them concurrently anyway.
"""

from __future__ import annotations

import operator
from array import array
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress, repeat

from e2e_otel.analyzers.common import (
    Endpoint,
    dominant,
    endpoint_title,
    examples,
    ms,
    pct,
    sequential_runs,
    short,
)
from e2e_otel.analyzers.dataset import NO_ENTRY, Dataset
from e2e_otel.analyzers.models import (
    AnalyzerResult,
    Evidence,
    Priority,
    Recommendation,
    Section,
    finding_id,
)
from e2e_otel.analyzers.registry import PARALLELIZABLE, ParallelizableSettings
from e2e_otel.config import Config

NAME = PARALLELIZABLE.name
COLUMNS = (
    "endpoint",
    "workflow",
    "fingerprint_ids",
    "occurrences",
    "avg_sequential_ms",
    "avg_saving_ms",
)


@dataclass
class _Run:
    requests: set[int] = field(default_factory=set)
    occurrences: int = 0
    total_ns: int = 0
    saving_ns: int = 0
    workflows: dict[str, int] = field(default_factory=dict)
    samples: list[tuple[int, int]] = field(default_factory=list)


def qualifying(ds: Dataset, min_query_ns: float) -> list[bool]:
    """Per database span: a read (its fingerprint a SELECT or WITH) taking ``min_query_ns`` or
    more. (C loops over the columns; the fingerprints are judged once each.)"""
    reads = {
        fp
        for fp in set(ds.db_fp)
        if ds.fingerprint_text(fp).startswith(("select", "(select", "with"))
    }
    long_enough = map(operator.le, repeat(min_query_ns), ds.db_durations)
    return list(map(operator.and_, long_enough, map(reads.__contains__, ds.db_fp)))


def find_runs(ds: Dataset, positions: array[int], ok: list[bool]) -> list[list[int]]:
    """Maximal runs (2+ database span positions) of sequential reads with distinct
    fingerprints, each ``ok`` (:func:`qualifying`), in one group's start order."""
    return sequential_runs(
        positions,
        start=ds.db_start.__getitem__,
        end=ds.db_end.__getitem__,
        key=ds.db_fp.__getitem__,
        qualifies=ok.__getitem__,
    )


def analyze(ds: Dataset, config: Config, now: datetime) -> AnalyzerResult:
    s = PARALLELIZABLE.read(config)
    found: dict[tuple[Endpoint, tuple[int, ...]], _Run] = {}
    ok = qualifying(ds, s.min_query_ms * 1e6)
    bounds, order = ds.group_bounds, ds.order
    # Only groups with two qualifying spans or more can hold a run (most groups have none).
    counts = ds.group_sums(ok)
    for group in compress(range(ds.group_count), map(operator.le, repeat(2), counts)):
        entry = ds.group_entry[group]
        if entry == NO_ENTRY:
            continue
        positions = order[bounds[group] : bounds[group + 1]]
        for run in find_runs(ds, positions, ok):
            durations = [ds.db_duration_ns(p) for p in run]
            key = (ds.entries[entry].endpoint, tuple(ds.db_fp[p] for p in run))
            item = found.setdefault(key, _Run())
            item.requests.add(entry)
            item.occurrences += 1
            item.total_ns += sum(durations)
            item.saving_ns += sum(durations) - max(durations)
            workflow = ds.entries[entry].workflow
            item.workflows[workflow] = item.workflows.get(workflow, 0) + 1
            item.samples.append((sum(durations) - max(durations), ds.entries[entry].trace))
    rows = []
    recommendations = []
    ranked = sorted(found.items(), key=lambda kv: (-kv[1].saving_ns, kv[0][0], _ids(ds, kv[0][1])))
    for (endpoint, fps), item in ranked:
        saving_ns = item.saving_ns / item.occurrences
        rows.append(
            (
                endpoint_title(endpoint),
                dominant(item.workflows) or "",
                ", ".join(_ids(ds, fps)),
                item.occurrences,
                ms(item.total_ns / item.occurrences),
                ms(saving_ns),
            )
        )
        if saving_ns >= s.min_saving_ms * 1e6:
            recommendations.append(_recommend(ds, endpoint, fps, item, s))
    section = Section(NAME, "Sequential queries that could run concurrently", COLUMNS, tuple(rows))
    return AnalyzerResult(NAME, tuple(recommendations), (section,))


def _recommend(
    ds: Dataset, endpoint: Endpoint, fps: tuple[int, ...], item: _Run, s: ParallelizableSettings
) -> Recommendation:
    saving_ns = item.saving_ns / item.occurrences
    request_ns = sum(ds.entries[e].duration_ns for e in item.requests) / len(item.requests)
    share = pct(saving_ns, request_ns)
    priority: Priority = "medium" if share >= 25 else "low"
    label = endpoint_title(endpoint)
    statements = "; ".join(f"`{short(ds.fingerprint_text(fp), 100)}`" for fp in fps)
    return Recommendation(
        id=finding_id(NAME, *endpoint, *_ids(ds, fps)),
        rule=NAME,
        category="database",
        priority=priority,
        title=f"{len(fps)} sequential queries in {label} could run concurrently",
        description=(
            f"{label} runs {statements} one after the other ({item.occurrences} times, "
            f"{ms(item.total_ns / item.occurrences):g} ms per occurrence). If none needs "
            f"another's result, running them concurrently would save about {ms(saving_ns):g} "
            f"ms ({share:g}% of the request)."
        ),
        steps=(
            "Check that none of these queries uses the result of another",
            "Run them concurrently, each on its own connection: asyncio with an async driver, "
            "a thread pool, or asyncio.gather() over sync_to_async() calls in a Django async view",
            "Or merge them into one round trip (a JOIN, UNION ALL, or a single query returning "
            "both results)",
        ),
        expected_improvement_ms=ms(saving_ns),
        expected_improvement_pct=share,
        evidence=Evidence(
            service=endpoint[0],
            method=endpoint[1] or None,
            route=endpoint[2],
            workflow=dominant(item.workflows),
            fingerprint_id=_ids(ds, fps)[0],
            fingerprint=ds.fingerprint_text(fps[0]),
            figures={
                "queries": len(fps),
                "occurrences": item.occurrences,
                "requests_affected": len(item.requests),
                "avg_sequential_ms": ms(item.total_ns / item.occurrences),
                "avg_saving_ms": ms(saving_ns),
            },
            trace_ids=examples(ds, item.samples, s.examples),
        ),
    )


def _ids(ds: Dataset, fps: tuple[int, ...]) -> tuple[str, ...]:
    return tuple(ds.text(fp) for fp in fps)
