"""Chatty endpoints: requests that typically (at the median) send ``min_db_spans`` or more
database queries. Each round trip costs latency even when every query is fast. The table lists
the endpoints that send queries, most at the median first."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from e2e_otel.analyzers.common import (
    Endpoint,
    api_entries,
    dominant,
    endpoint_title,
    examples,
    ms,
    percentile,
    short,
)
from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.models import (
    AnalyzerResult,
    Evidence,
    Priority,
    Recommendation,
    Section,
    finding_id,
)
from e2e_otel.analyzers.registry import CHATTY, ChattySettings
from e2e_otel.config import Config

NAME = CHATTY.name
COLUMNS = (
    "endpoint",
    "workflow",
    "requests",
    "db_spans_p50",
    "db_spans_p95",
    "db_spans_max",
    "db_ms_per_request",
)


def analyze(ds: Dataset, config: Config, now: datetime) -> AnalyzerResult:
    s = CHATTY.read(config)
    counts, db_ns = ds.db_per_entry
    per_endpoint: dict[Endpoint, list[int]] = {}
    for index, entry in api_entries(ds):
        per_endpoint.setdefault(entry.endpoint, []).append(index)
    stats = []
    for endpoint, indexes in per_endpoint.items():
        spans = sorted(map(counts.__getitem__, indexes))
        p50 = percentile(spans, 50)
        stats.append((endpoint, indexes, spans, p50))
    stats.sort(key=lambda item: (-item[3], -len(item[1]), item[0]))
    flagged = {
        i: e for e, indexes, _, p50 in stats if p50 >= max(s.min_db_spans, 1) for i in indexes
    }
    statements = _statements(ds, flagged)
    rows: list[tuple[object, ...]] = []
    recommendations = []
    for endpoint, indexes, spans, p50 in stats:
        workflows = Counter(ds.entries[i].workflow for i in indexes)
        db_per_request = sum(map(db_ns.__getitem__, indexes)) / len(indexes)
        if len(rows) < s.top and spans[-1]:  # endpoints that send no query are not listed
            rows.append(
                (
                    endpoint_title(endpoint),
                    dominant(workflows) or "",
                    len(indexes),
                    p50,
                    percentile(spans, 95),
                    spans[-1],
                    ms(db_per_request),
                )
            )
        if indexes[0] in flagged:
            top = _top(ds, statements.get(endpoint, {}))
            recommendations.append(
                _recommend(ds, endpoint, indexes, spans, workflows, counts, db_per_request, top, s)
            )
    section = Section(NAME, "Database queries per request, by endpoint", COLUMNS, tuple(rows))
    return AnalyzerResult(NAME, tuple(recommendations), (section,))


def _recommend(
    ds: Dataset,
    endpoint: Endpoint,
    indexes: list[int],
    spans: list[int],
    workflows: dict[str, int],
    counts: list[int],
    db_per_request: float,
    top: str,
    s: ChattySettings,
) -> Recommendation:
    threshold = s.min_db_spans
    p50 = percentile(spans, 50)
    priority: Priority = (
        "high" if p50 >= 3 * threshold else "medium" if p50 >= 2 * threshold else "low"
    )
    # Cutting the count to the threshold, at the same cost per query, saves this share.
    saving_ns = db_per_request * (p50 - threshold) / p50
    label = endpoint_title(endpoint)
    mean_ns = sum(ds.entries[i].duration_ns for i in indexes) / len(indexes)
    return Recommendation(
        id=finding_id(NAME, *endpoint),
        rule=NAME,
        category="api",
        priority=priority,
        title=f"Chatty endpoint {label}: {p50} database queries per request (median)",
        description=(
            f"{label} sends {p50} queries per request at the median (p95 "
            f"{percentile(spans, 95)}, max {spans[-1]}; threshold {threshold:g}) over "
            f"{len(indexes)} requests, {ms(db_per_request):g} ms of database time per request. "
            f"Most frequent statements: {top or 'none recorded'}."
        ),
        steps=(
            "Look for queries issued in a loop (see the N+1 findings for this endpoint) and "
            "batch them with select_related()/prefetch_related() or one IN query",
            "Cache what does not change per request (session, user and permission lookups, "
            "settings) instead of reading it again",
            "Fold repeated counts and existence checks into the main query (annotate(), exists())",
        ),
        expected_improvement_ms=ms(saving_ns),
        expected_improvement_pct=round(100 * saving_ns / mean_ns, 2) if mean_ns else None,
        evidence=Evidence(
            service=endpoint[0],
            method=endpoint[1] or None,
            route=endpoint[2],
            workflow=dominant(workflows),
            figures={
                "requests": len(indexes),
                "db_spans_p50": p50,
                "db_spans_p95": percentile(spans, 95),
                "db_spans_max": spans[-1],
                "db_ms_per_request": ms(db_per_request),
            },
            trace_ids=examples(ds, ((counts[i], ds.entries[i].trace) for i in indexes), s.examples),
        ),
    )


def _statements(ds: Dataset, flagged: dict[int, Endpoint]) -> dict[Endpoint, dict[int, int]]:
    """Queries per fingerprint in the flagged endpoints' requests: (endpoint number, statement)
    pairs counted in one C loop over the database spans."""
    if not flagged:
        return {}
    endpoints = list(dict.fromkeys(flagged.values()))
    numbers = {endpoint: n for n, endpoint in enumerate(endpoints)}
    owner = [-1] * (len(ds.entries) + 1)  # NO_ENTRY (-1) reads the last item
    for entry, endpoint in flagged.items():
        owner[entry] = numbers[endpoint]
    pairs = Counter(zip(map(owner.__getitem__, ds.db_entries), ds.db_fp, strict=True))
    result: dict[Endpoint, dict[int, int]] = {}
    for (number, fp), n in pairs.items():
        if number >= 0:
            result.setdefault(endpoints[number], {})[fp] = n
    return result


def _top(ds: Dataset, counts: dict[int, int], limit: int = 3) -> str:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], ds.text(kv[0])))[:limit]
    texts = []
    for fp, n in ranked:
        texts.append(f"{n} x `{short(ds.fingerprint_text(fp), 80)}`")
    return "; ".join(texts)
