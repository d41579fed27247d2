"""N+1 queries, by Sentry's rule: at least ``min_repeats`` database spans of one fingerprint
under one parent, one after the other (none overlapping the next), right after a query of
another fingerprint (the "source" that produced the ids), together taking ``min_total_ms`` or
more. A single batched query, a loop over different statements and concurrent (overlapping)
spans are not N+1."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from datetime import datetime

from e2e_otel.analyzers.common import (
    Endpoint,
    dominant,
    endpoint_label,
    examples,
    ms,
    pct,
    requests_per_endpoint,
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
    ds: Dataset, positions: array[int], min_repeats: int, min_total_ns: float
) -> list[tuple[int, int, int]]:
    """(first, last, total ns): indexes into ``positions`` (one group, in start order) of each
    N+1 run, and its summed duration."""
    fp, start, end = ds.db_fp, ds.db_start, ds.db_end
    loops = []
    i, n = 0, len(positions)
    while i < n:
        j = i
        while (
            j + 1 < n
            and fp[positions[j + 1]] == fp[positions[i]]
            and start[positions[j + 1]] >= end[positions[j]]
        ):
            j += 1
        has_source = i > 0 and fp[positions[i - 1]] != fp[positions[i]]
        if j - i + 1 >= min_repeats and has_source:
            total = sum(ds.db_duration_ns(positions[k]) for k in range(i, j + 1))
            if total >= min_total_ns:
                loops.append((i, j, total))
        i = j + 1
    return loops


def analyze(ds: Dataset, config: Config, now: datetime) -> AnalyzerResult:
    s = N_PLUS_ONE.read(config)
    loops: dict[tuple[Endpoint, int], _Loop] = {}
    for group, positions in ds.groups():
        found = find_loops(ds, positions, s.min_repeats, s.min_total_ms * 1e6)
        entry = ds.group_entry[group]
        trace = ds.group_trace[group]
        for first, last, total in found:
            fp = ds.db_fp[positions[first]]
            endpoint = ds.entries[entry].endpoint if entry != NO_ENTRY else NO_REQUEST
            loop = loops.setdefault((endpoint, fp), _Loop())
            count = last - first + 1
            loop.requests.add(entry if entry != NO_ENTRY else -1 - trace)
            loop.occurrences += 1
            loop.repeats += count
            loop.max_repeats = max(loop.max_repeats, count)
            loop.total_ns += total
            loop.saving_ns += total - total // count  # all but one representative query
            source = ds.fingerprint_text(ds.db_fp[positions[first - 1]])
            loop.sources[source] = loop.sources.get(source, 0) + 1
            workflow = ds.text(ds.db_workflow[positions[first]])
            loop.workflows[workflow] = loop.workflows.get(workflow, 0) + 1
            loop.samples.append((total, trace))
    requests = requests_per_endpoint(ds.entries)
    ordered = sorted(loops.items(), key=lambda kv: (-kv[1].saving_ns, kv[0][0], ds.text(kv[0][1])))
    recommendations = []
    rows = []
    for (endpoint, fp), loop in ordered:
        affected = len(loop.requests)
        total_requests = requests.get(endpoint, 0)
        share = pct(affected, total_requests) if endpoint != NO_REQUEST else None
        request_ns = sum(ds.entries[e].duration_ns for e in loop.requests if e >= 0)
        rows.append(
            (
                endpoint_label(endpoint),
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
    source = dominant(loop.sources) or "?"
    label = endpoint_label(endpoint)
    how_often = (
        f"in {affected} of {total_requests} requests ({share:g}%)"
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
            f"{label} runs `{short(text)}` {avg_repeats:g} times in a row on average, one "
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
