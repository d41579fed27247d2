"""N+1 queries: at least ``min_repeats`` database spans of one fingerprint under one parent,
one after the other (none overlapping the next, other statements may come in between, as when a
serializer touches two relations per row), after a query of another fingerprint (the "source"
that produced the ids). Counted, not timed, as django-zeal and Django's test tooling do: on a
local database a loop of 30 queries takes a few ms and still multiplies with the rows in
production. ``min_total_ms`` only ranks: a loop faster than that is at most medium priority.
A single batched query, different statements and concurrent (overlapping) spans are not N+1.
Start times in whole milliseconds (OpenTelemetry JS's database spans: the start is truncated to
the millisecond, the end is not) are given that millisecond of slack, so a loop of queries that
each took under a millisecond does not look concurrent.

The share of requests counts the endpoint's requests that ran its handler: those with database
spans that did not end in a client error (4xx), plus any request that ran the loop."""

from __future__ import annotations

import operator
from array import array
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress, pairwise, repeat

from e2e_otel.analyzers.common import (
    Endpoint,
    dominant,
    endpoint_title,
    examples,
    ms,
    pct,
    short,
    statement_label,
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
from e2e_otel.analyzers.registry import N_PLUS_ONE, NPlusOneSettings
from e2e_otel.config import Config

NAME = N_PLUS_ONE.name
COLUMNS = (
    "endpoint",
    "workflow",
    "fingerprint_id",
    "requests_affected",
    "share_of_requests_pct",
    "avg_repeats",
    "avg_loop_ms",
    "saving_ms_per_request",
)
NO_REQUEST: Endpoint = ("", "", "(no request span)")


@dataclass
class _Loop:
    """Every occurrence of one fingerprint's loop in one endpoint."""

    # Entry indexes; a loop without a request counts its trace as -1 - trace index.
    requests: set[int] = field(default_factory=set)
    occurrences: int = 0
    repeats: int = 0
    max_repeats: int = 0
    total_ns: int = 0
    saving_ns: int = 0
    sources: dict[str, int] = field(default_factory=dict)  # source query fingerprints
    workflows: dict[str, int] = field(default_factory=dict)
    samples: list[tuple[int, int]] = field(default_factory=list)  # (loop ns, trace)


def find_loops(
    ds: Dataset, positions: array[int], min_repeats: int
) -> list[tuple[int, int, int, int, int]]:
    """(fingerprint, its first span's position, repeats, total ns, source fingerprint) of each
    fingerprint that repeats ``min_repeats`` times or more in one group (``positions``, in
    start order), each span starting after the previous one of its fingerprint ended, after a
    query of another one."""
    fp, start, end = ds.db_fp, ds.db_start, ds.db_end
    need = max(min_repeats, 2)
    # Most groups hold a few distinct statements: settled in C before any loop in Python.
    if len(positions) < need or max(Counter(map(fp.__getitem__, positions)).values()) < need:
        return []
    by_fp: dict[int, list[int]] = {}
    for index, position in enumerate(positions):
        by_fp.setdefault(fp[position], []).append(index)
    loops = []
    for shape, indexes in by_fp.items():
        first = indexes[0]
        if len(indexes) < need or first == 0:
            continue  # too few, or no source query before the first
        spans = [positions[i] for i in indexes]
        if any(start[b] + _slack(start[a], start[b]) < end[a] for a, b in pairwise(spans)):
            continue  # concurrent: parallel queries, not a loop
        total = sum(ds.db_duration_ns(p) for p in spans)
        loops.append((shape, spans[0], len(spans), total, fp[positions[first - 1]]))
    return loops


_MS = 1_000_000


def _slack(a: int, b: int) -> int:
    """How far two spans starting at ``a`` and ``b`` may seem to overlap and still be one after
    the other: a millisecond when both starts are whole milliseconds (the clock's resolution)."""
    return _MS if a % _MS == 0 and b % _MS == 0 else 0


def handler_requests(ds: Dataset, always: set[int]) -> dict[Endpoint, int]:
    """Requests per endpoint that ran its handler: with database spans and no client error
    (4xx: refused before the work, as a 403 or 401 is), plus the entries in ``always``."""
    counts, _ = ds.db_per_entry
    entries = ds.entries
    ran = {
        i for i in compress(range(len(entries)), counts) if not 400 <= entries[i].status_code < 500
    }
    return Counter(entries[i].endpoint for i in ran | always if i >= 0)  # < 0: no request


def analyze(ds: Dataset, config: Config, now: datetime) -> AnalyzerResult:
    s = N_PLUS_ONE.read(config)
    loops: dict[tuple[Endpoint, int], _Loop] = {}
    bounds, order, need = ds.group_bounds, ds.order, max(s.min_repeats, 2)
    # Only groups with enough spans can hold a loop: most have a few (a C loop finds them).
    sizes = ds.group_sizes()
    for group in compress(range(ds.group_count), map(operator.le, repeat(need), sizes)):
        entry = ds.group_entry[group]
        trace = ds.group_trace[group]
        positions = order[bounds[group] : bounds[group + 1]]
        for fp, first, count, total, source_fp in find_loops(ds, positions, s.min_repeats):
            endpoint = ds.entries[entry].endpoint if entry != NO_ENTRY else NO_REQUEST
            loop = loops.setdefault((endpoint, fp), _Loop())
            loop.requests.add(entry if entry != NO_ENTRY else -1 - trace)
            loop.occurrences += 1
            loop.repeats += count
            loop.max_repeats = max(loop.max_repeats, count)
            loop.total_ns += total
            loop.saving_ns += total - total // count  # all but one representative query
            source = ds.fingerprint_text(source_fp)
            loop.sources[source] = loop.sources.get(source, 0) + 1
            workflow = ds.text(ds.db_workflow[first])
            loop.workflows[workflow] = loop.workflows.get(workflow, 0) + 1
            loop.samples.append((total, trace))
    requests = handler_requests(ds, {e for loop in loops.values() for e in loop.requests})
    # Ranked by the time the loops take in all, the cost users wait for.
    ordered = sorted(loops.items(), key=lambda kv: (-kv[1].total_ns, kv[0][0], ds.text(kv[0][1])))
    recommendations = []
    rows = []
    for (endpoint, fp), loop in ordered:
        affected = len(loop.requests)
        total_requests = requests.get(endpoint, 0)
        share = pct(affected, total_requests) if endpoint != NO_REQUEST else None
        request_ns = sum(ds.entries[e].duration_ns for e in loop.requests if e >= 0)
        rows.append(
            (
                endpoint_title(endpoint),
                dominant(loop.workflows) or "",
                ds.text(fp),
                affected,
                share if share is not None else "",
                round(loop.repeats / loop.occurrences, 1),
                ms(loop.total_ns / affected),
                ms(loop.saving_ns / affected),
            )
        )
        recommendations.append(
            _recommend(ds, endpoint, fp, loop, share, total_requests, request_ns, s)
        )
    section = Section(NAME, "N+1 queries: repeated statements in a loop", COLUMNS, tuple(rows))
    return AnalyzerResult(NAME, tuple(recommendations), (section,))


def _recommend(
    ds: Dataset,
    endpoint: Endpoint,
    fp: int,
    loop: _Loop,
    share: float | None,
    total_requests: int,
    request_ns: int,
    s: NPlusOneSettings,
) -> Recommendation:
    fp_id = ds.text(fp)
    text = ds.fingerprint_text(fp)
    affected = len(loop.requests)
    saving_ns = loop.saving_ns / affected
    avg_repeats = round(loop.repeats / loop.occurrences, 1)
    priority: Priority = "low"
    if share is not None and share >= 50:
        priority = "high"
    elif share is None or share >= 10:
        priority = "medium"
    if priority == "high" and loop.total_ns / affected < s.min_total_ms * 1e6:
        priority = "medium"  # fast here; it grows with the rows and the database's latency
    source = dominant(loop.sources) or "?"
    label = endpoint_title(endpoint)
    # From a sampling tier the requests are the kept ones, and it keeps every trace with such
    # a loop: the share is of those, not of all requests (the report's sampling note says so).
    kept = "kept " if ds.sampled else ""
    how_often = (
        f"in {affected} of {total_requests} {kept}requests that ran the handler ({share:g}%)"
        if share is not None
        else f"in {affected} traces without a request span"
    )
    no_endpoint = endpoint == NO_REQUEST
    return Recommendation(
        id=finding_id(NAME, *endpoint, fp_id),
        rule=NAME,
        category="database",
        priority=priority,
        title=f"N+1 queries in {label}: {avg_repeats:g} x {statement_label(text)} per request",
        description=(
            f"{label} runs `{short(text)}` {avg_repeats:g} times per request on average, one "
            f"query per row of `{short(source, 120)}`, {how_often}. The loop takes "
            f"{ms(loop.total_ns / affected):g} ms per affected request; one batched query "
            f"would save about {ms(saving_ns):g} ms of it."
        ),
        steps=(
            "Find the loop: the code that iterates over the rows of the source query and "
            "touches a relation per row (often a serializer field or a template)",
            "Load the related rows in one query: Django select_related() for a foreign key, "
            "prefetch_related() for reverse or many-to-many relations, or one WHERE ... IN "
            "(...) query on the collected ids",
            f"Check that {label} now sends one query of this shape per request",
        ),
        expected_improvement_ms=ms(saving_ns),
        expected_improvement_pct=pct(loop.saving_ns, request_ns) if request_ns else None,
        evidence=Evidence(
            service=endpoint[0] or None,
            method=endpoint[1] or None,
            route=None if no_endpoint else endpoint[2],
            workflow=dominant(loop.workflows),
            fingerprint_id=fp_id,
            fingerprint=text,
            figures={
                "requests_affected": affected,
                "requests": total_requests,
                **({"share_of_requests_pct": share} if share is not None else {}),
                "avg_repeats": avg_repeats,
                "max_repeats": loop.max_repeats,
                "avg_loop_ms": ms(loop.total_ns / affected),
                "avg_saving_ms": ms(saving_ns),
            },
            trace_ids=examples(ds, loop.samples, s.examples),
        ),
    )
