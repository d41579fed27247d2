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
from operator import attrgetter, itemgetter

from e2e_otel.analyzers.common import (
    api_entries,
    dominant,
    endpoint_title,
    examples,
    ms,
    pct,
    percentile,
)
from e2e_otel.analyzers.dataset import Dataset, Entry, durations_ns
from e2e_otel.analyzers.judgements import (
    LatencySummary,
    latency_threshold,
    level,
    slow_subject,
)
from e2e_otel.analyzers.models import AnalyzerResult, Section
from e2e_otel.analyzers.registry import CHATTY, THRESHOLDS, ThresholdsSettings
from e2e_otel.config import Config

NAME = THRESHOLDS.name
TITLE = "Latency against the thresholds"
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

_INDEX, _ENTRY, _WORKFLOW = itemgetter(0), itemgetter(1), attrgetter("workflow")
#: Browser spans named after what they measure (no route), which rules of their own judge.
_JUDGED_ELSEWHERE = ("render ", "web-vital ")


@dataclass(frozen=True)
class _Subject:
    rule: str  # slow_endpoint, slow_workflow, slow_frontend
    key: tuple[str, ...]  # what the finding id is made of
    label: str
    entries: Sequence[tuple[int, Entry]]  # (entry index or -1 for frontend spans, entry)


def analyze(ds: Dataset, config: Config, now: datetime) -> AnalyzerResult:
    cfg = THRESHOLDS.read(config)
    db_count, db_ns = ds.db_per_entry
    # The chatty rule's limit: more queries per request than this cost the application time
    # of their own (ORM, driver, tracing), which the database's share does not show.
    chatty_limit = CHATTY.read(config).min_db_spans
    endpoints: dict[tuple[str, str, str], list[tuple[int, Entry]]] = {}
    workflows: dict[str, list[tuple[int, Entry]]] = {}
    for index, entry in api_entries(ds):
        endpoints.setdefault(entry.endpoint, []).append((index, entry))
        if entry.workflow:
            workflows.setdefault(entry.workflow, []).append((index, entry))
    pages: dict[tuple[str, str], list[tuple[int, Entry]]] = {}
    for entry in ds.frontend:
        if entry.route.startswith(_JUDGED_ELSEWHERE):
            continue  # one problem, one finding: slow_renders and web_vitals judge these
        pages.setdefault((entry.service, entry.route), []).append((-1, entry))
    subjects = [
        *(_Subject("slow_endpoint", k, endpoint_title(k), v) for k, v in endpoints.items()),
        *(_Subject("slow_workflow", (k,), k, v) for k, v in workflows.items()),
        *(_Subject("slow_frontend", k, f"{k[1]} ({k[0]})", v) for k, v in pages.items()),
    ]
    rows = []
    recommendations = []
    # Endpoints with a slow_endpoint finding (judged first) and the level it was given.
    reported: dict[object, str] = {}
    for subject in sorted(subjects, key=lambda x: (x.rule, x.label, x.key)):
        frontend = subject.rule == "slow_frontend"
        threshold = latency_threshold(subject.rule, config)
        # (C loops over the entries' fields: a million spans have 200k requests.)
        indexes = list(map(_INDEX, subject.entries))  # -1 for every frontend span
        durations = sorted(durations_ns(list(map(_ENTRY, subject.entries))))
        p95 = percentile(durations, 95)
        total_ns = sum(durations)
        # No database spans at all: the share is unknown (nothing traced), not 0 %.
        db_share = (
            None
            if frontend or not ds.db_count
            else pct(sum(map(db_ns.__getitem__, indexes)), total_ns)
        )
        level_name = level(p95 / 1e6, threshold)
        rows.append(
            (
                subject.rule.removeprefix("slow_"),
                subject.label,
                dominant(_workflows(subject)) or "",
                len(durations),
                ms(percentile(durations, 50)),
                ms(p95),
                ms(durations[-1]),
                db_share if db_share is not None else "",
                level_name,
            )
        )
        if (
            level_name != "ok"
            and len(durations) >= cfg.min_requests
            and not (
                subject.rule == "slow_workflow"
                and _explained_by_endpoints(subject, threshold.warning_ms, level_name, reported)
            )
        ):
            queries = None
            if not frontend:
                counts = sorted(map(db_count.__getitem__, indexes))
                queries = counts[(len(counts) - 1) // 2]  # the lower median: one that occurred
            chatty_queries = queries if queries is not None and queries >= chatty_limit else None
            found = slow_subject(
                _summary(ds, subject, durations, db_share, chatty_queries, cfg), config
            )
            if found is not None:
                recommendations.append(found)
                if subject.rule == "slow_endpoint":
                    reported[subject.key] = level_name
    section = Section(NAME, TITLE, COLUMNS, tuple(rows))
    return AnalyzerResult(NAME, tuple(recommendations), (section,))


def _workflows(subject: _Subject) -> Counter[str]:
    """Requests per workflow of ``subject``."""
    return Counter(map(_WORKFLOW, map(_ENTRY, subject.entries)))


def _explained_by_endpoints(
    subject: _Subject, warning_ms: float, workflow_level: str, reported: dict[object, str]
) -> bool:
    """Whether a slow workflow is its endpoints' problem: every request of it over the warning
    threshold went to an endpoint that already has a slow_endpoint finding at the workflow's
    level or worse (a workflow of one endpoint included). Then it is reported once, as those
    endpoints; the workflow stays in the table. A workflow slow on an endpoint that is fast
    for everyone else, or worse than the endpoint's finding says (a critical workflow behind
    a warning endpoint), keeps its own."""
    slow = {e.endpoint for _, e in subject.entries if e.duration_ns > warning_ms * 1e6}
    rank = {"warning": 1, "critical": 2}
    return bool(slow) and all(
        rank.get(reported.get(endpoint, ""), 0) >= rank.get(workflow_level, 0) for endpoint in slow
    )


def _summary(
    ds: Dataset,
    subject: _Subject,
    durations: list[int],
    db_share: float | None,
    chatty_queries: int | None,
    cfg: ThresholdsSettings,
) -> LatencySummary:
    first = subject.entries[0][1]
    workflow = subject.rule == "slow_workflow"
    runs = len({e.workflow_id for _, e in subject.entries if e.workflow_id})
    return LatencySummary(
        rule=subject.rule,
        key=subject.key,
        label=subject.label,
        requests=len(durations),
        p50_ms=percentile(durations, 50) / 1e6,
        p95_ms=percentile(durations, 95) / 1e6,
        max_ms=durations[-1] / 1e6,
        db_share_pct=db_share,
        db_queries_median=chatty_queries,
        workflow_runs=runs if workflow else None,
        service=None if workflow else first.service,
        method=(first.method or None) if subject.rule == "slow_endpoint" else None,
        route=None if workflow else first.route,
        workflow=dominant(_workflows(subject)),
        trace_ids=examples(
            ds, ((e.duration_ns, e.trace) for _, e in subject.entries), cfg.examples
        ),
    )
