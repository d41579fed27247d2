"""Slow endpoints, workflows and frontend pages: p95 over the configured thresholds.

API endpoints and workflows are judged on their request entry spans against
``thresholds.api``; frontend spans (layer ``frontend``, browser fetches left out, as the
alert rules do) against ``thresholds.frontend``. For API subjects the database's share of the
time says which layer to look at first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from e2e_otel.analyzers import chatty
from e2e_otel.analyzers.common import (
    api_entries,
    dominant,
    endpoint_label,
    examples,
    ms,
    pct,
    percentile,
)
from e2e_otel.analyzers.dataset import Dataset, Entry
from e2e_otel.analyzers.models import (
    AnalyzerResult,
    Category,
    Evidence,
    Recommendation,
    Section,
    finding_id,
)
from e2e_otel.analyzers.settings import settings
from e2e_otel.config import Config, Threshold

NAME = "thresholds"
DEFAULTS = {"min_requests": 1, "examples": 3}
COLUMNS = (
    "kind",
    "subject",
    "workflow",
    "requests",
    "p50_ms",
    "p95_ms",
    "max_ms",
    "db_share_pct",
    "level",
)


@dataclass(frozen=True)
class _Subject:
    rule: str  # slow_endpoint, slow_workflow, slow_frontend
    key: tuple[str, ...]  # what the finding id is made of
    label: str
    entries: Sequence[tuple[int, Entry]]  # (entry index or -1 for frontend spans, entry)


def analyze(ds: Dataset, config: Config, now: datetime) -> AnalyzerResult:
    s = settings(config, NAME, DEFAULTS)
    db_count, db_ns = ds.db_per_entry
    # The chatty rule's limit: more queries per request than this cost the application time
    # of their own (ORM, driver, tracing), which the database's share does not show.
    chatty_limit = settings(config, chatty.NAME, chatty.DEFAULTS)["min_db_spans"]
    endpoints: dict[tuple[str, str, str], list[tuple[int, Entry]]] = {}
    workflows: dict[str, list[tuple[int, Entry]]] = {}
    for index, entry in api_entries(ds):
        endpoints.setdefault(entry.endpoint, []).append((index, entry))
        if entry.workflow:
            workflows.setdefault(entry.workflow, []).append((index, entry))
    pages: dict[tuple[str, str], list[tuple[int, Entry]]] = {}
    for entry in ds.frontend:
        pages.setdefault((entry.service, entry.route), []).append((-1, entry))
    subjects = [
        *(_Subject("slow_endpoint", k, endpoint_label(k), v) for k, v in endpoints.items()),
        *(_Subject("slow_workflow", (k,), k, v) for k, v in workflows.items()),
        *(_Subject("slow_frontend", k, f"{k[1]} ({k[0]})", v) for k, v in pages.items()),
    ]
    rows = []
    recommendations = []
    for subject in sorted(subjects, key=lambda x: (x.rule, x.label, x.key)):
        frontend = subject.rule == "slow_frontend"
        threshold = config.thresholds.frontend if frontend else config.thresholds.api
        durations = sorted(entry.duration_ns for _, entry in subject.entries)
        p95 = percentile(durations, 95)
        total_ns = sum(durations)
        db_share = None if frontend else pct(sum(db_ns[i] for i, _ in subject.entries), total_ns)
        level_name = level(p95 / 1e6, threshold)
        rows.append(
            (
                subject.rule.removeprefix("slow_"),
                subject.label,
                dominant(Counter(e.workflow for _, e in subject.entries)) or "",
                len(durations),
                ms(percentile(durations, 50)),
                ms(p95),
                ms(durations[-1]),
                db_share if db_share is not None else "",
                level_name,
            )
        )
        if level_name != "ok" and len(durations) >= s["min_requests"]:
            queries = None
            if not frontend:
                counts = sorted(db_count[i] for i, _ in subject.entries)
                queries = counts[(len(counts) - 1) // 2]  # the lower median: one that occurred
            chatty_queries = queries if queries is not None and queries >= chatty_limit else None
            critical = level_name == "critical"
            recommendations.append(
                _recommend(ds, subject, durations, threshold, db_share, chatty_queries, critical, s)
            )
    section = Section(NAME, "Latency against the thresholds", COLUMNS, tuple(rows))
    return AnalyzerResult(NAME, tuple(recommendations), (section,))


def _recommend(
    ds: Dataset,
    subject: _Subject,
    durations: list[int],
    threshold: Threshold,
    db_share: float | None,
    chatty_queries: int | None,
    critical: bool,
    s: dict[str, float],
) -> Recommendation:
    p95 = percentile(durations, 95)
    saving_ns = p95 - threshold.warning_ms * 1e6
    category: Category = "frontend" if subject.rule == "slow_frontend" else "api"
    what = {"slow_endpoint": "Endpoint", "slow_workflow": "Workflow", "slow_frontend": "Page"}
    first = subject.entries[0][1]
    workflows = Counter(e.workflow for _, e in subject.entries)
    runs = len({e.workflow_id for _, e in subject.entries if e.workflow_id})
    if db_share is None:
        steps: tuple[str, ...] = (
            "Profile the page: render time, bundle size, blocking data fetches",
            "Move slow data fetching off the critical path (streaming, suspense, caching)",
        )
    elif chatty_queries is not None and db_share < 50:
        steps = (
            f"It runs {chatty_queries} database queries per request (median): besides the "
            f"{db_share:g}% of the time inside the database, every query costs application time "
            "(ORM, driver, tracing) - batch them first (see the N+1 and chatty findings for "
            "this subject)",
            "Then profile what remains of the application time (serialization, external "
            "calls, CPU work)",
        )
    elif db_share >= 50:
        steps = (
            f"The database takes {db_share:g}% of the time: see the slow-query, N+1 and "
            "chatty findings for this subject first",
            "Add the missing indexes / batch the queries they point to, then re-measure",
        )
    else:
        steps = (
            f"Only {db_share:g}% of the time is in the database: profile the application code "
            "(serialization, external calls, CPU work) under load",
            "Cache or precompute what does not change per request; move slow work to a "
            "background job",
        )
    scope = "the workflow's requests" if subject.rule == "slow_workflow" else "requests"
    return Recommendation(
        id=finding_id(subject.rule, *subject.key),
        rule=subject.rule,
        category=category,
        priority="high" if critical else "medium",
        title=f"{what[subject.rule]} {subject.label} is slow: p95 {ms(p95):g} ms",
        description=(
            f"p95 {ms(p95):g} ms over {len(durations)} {scope} (p50 "
            f"{ms(percentile(durations, 50)):g}, max {ms(durations[-1]):g} ms) against the "
            f"{category} threshold of {threshold.warning_ms:g} ms (critical "
            f"{threshold.critical_ms:g} ms)"
            + (
                f"; {db_share:g}% of the time is spent in the database."
                if db_share is not None
                else "."
            )
        ),
        steps=steps,
        expected_improvement_ms=ms(saving_ns),
        expected_improvement_pct=pct(saving_ns, p95),
        evidence=Evidence(
            service=first.service if subject.rule != "slow_workflow" else None,
            method=(first.method or None) if subject.rule == "slow_endpoint" else None,
            route=first.route if subject.rule != "slow_workflow" else None,
            workflow=dominant(workflows),
            figures={
                "requests": len(durations),
                **({"workflow_runs": runs} if subject.rule == "slow_workflow" else {}),
                "p50_ms": ms(percentile(durations, 50)),
                "p95_ms": ms(p95),
                "max_ms": ms(durations[-1]),
                **({"db_share_pct": db_share} if db_share is not None else {}),
                **({"db_queries_median": chatty_queries} if chatty_queries is not None else {}),
            },
            trace_ids=examples(
                ds, ((e.duration_ns, e.trace) for _, e in subject.entries), int(s["examples"])
            ),
        ),
    )


def level(p95_ms: float, threshold: Threshold) -> str:
    """``critical`` from the critical threshold on, ``warning`` above the warning one, else
    ``ok`` (the same cut for spans and span metrics)."""
    if p95_ms >= threshold.critical_ms:
        return "critical"
    return "warning" if p95_ms > threshold.warning_ms else "ok"
