"""Where a browser workflow's time goes: per workflow type, its runs, the p95 of its
``workflow <type>`` span (end to end, from the click) and the share of that time spent in the
frontend, the API and the database.

- API: the time covered by the workflow's fetches (their union, clipped to the workflow span),
  network included;
- database: the database spans of the requests in the workflow's trace (their summed durations,
  at most the API time), taken out of the API time;
- frontend: the rest of the workflow span, the time not covered by its fetches (handlers,
  rendering, waiting for the browser).

Workflows seen only from the server side (no browser span) are left out: their end-to-end time
is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from e2e_otel.analyzers.common import ms, pct, percentile
from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.frontend_spans import BrowserSpan
from e2e_otel.analyzers.models import AnalyzerResult, Section
from e2e_otel.analyzers.registry import WORKFLOW_LAYERS
from e2e_otel.config import Config

NAME = WORKFLOW_LAYERS.name
COLUMNS = (
    "workflow",
    "runs",
    "p95_ms",
    "frontend_pct",
    "api_pct",
    "database_pct",
    "fetches_per_run",
)
# A parent chain longer than this is a cycle in broken input, not a real trace.
_MAX_DEPTH = 64


@dataclass
class _Workflow:
    durations: list[int] = field(default_factory=list)
    frontend_ns: int = 0
    api_ns: int = 0
    database_ns: int = 0
    fetches: int = 0


def analyze(ds: Dataset, config: Config, now: datetime) -> AnalyzerResult:
    s = WORKFLOW_LAYERS.read(config)
    by_id = {(span.trace, span.span): span for span in ds.browser}
    fetches: dict[tuple[int, int], list[BrowserSpan]] = {}
    for span in ds.browser:
        if span.is_fetch:
            workflow = _workflow_of(span, by_id)
            if workflow is not None:
                fetches.setdefault((workflow.trace, workflow.span), []).append(span)
    db_ns = _database_ns_per_trace(ds)
    found: dict[str, _Workflow] = {}
    for span in ds.browser:
        if not span.is_workflow:
            continue
        mine = fetches.get((span.trace, span.span), [])
        covered = _covered_ns(span, mine)
        database = min(db_ns.get(span.trace, 0), covered)
        item = found.setdefault(span.workflow or span.name, _Workflow())
        item.durations.append(span.duration_ns)
        item.frontend_ns += span.duration_ns - covered
        item.api_ns += covered - database
        item.database_ns += database
        item.fetches += len(mine)
    ranked = sorted(found.items(), key=lambda kv: (-len(kv[1].durations), kv[0]))[: s.top]
    rows = []
    for name, item in ranked:
        total = sum(item.durations)
        rows.append(
            (
                name,
                len(item.durations),
                ms(percentile(sorted(item.durations), 95)),
                pct(item.frontend_ns, total),
                pct(item.api_ns, total),
                pct(item.database_ns, total),
                round(item.fetches / len(item.durations), 2),
            )
        )
    section = Section(NAME, "Workflow time by layer (from the click)", COLUMNS, tuple(rows))
    return AnalyzerResult(NAME, (), (section,))


def _workflow_of(
    span: BrowserSpan, by_id: dict[tuple[int, int], BrowserSpan]
) -> BrowserSpan | None:
    """The nearest ``workflow <type>`` span above ``span``, or None."""
    current = by_id.get((span.trace, span.parent))
    for _ in range(_MAX_DEPTH):
        if current is None or current.is_workflow:
            return current
        current = by_id.get((current.trace, current.parent))
    return None


def _covered_ns(workflow: BrowserSpan, fetches: list[BrowserSpan]) -> int:
    """The length of the union of the fetches' intervals inside the workflow span."""
    covered, reached = 0, workflow.start_ns
    for fetch in sorted(fetches, key=lambda f: f.start_ns):
        start = max(fetch.start_ns, reached)
        end = min(fetch.end_ns, workflow.end_ns)
        if end > start:
            covered += end - start
            reached = end
    return covered


def _database_ns_per_trace(ds: Dataset) -> dict[int, int]:
    """The summed duration of the database spans of each trace's requests."""
    _, total_ns = ds.db_per_entry
    per_trace: dict[int, int] = {}
    for index, entry in enumerate(ds.entries):
        if total_ns[index]:
            per_trace[entry.trace] = per_trace.get(entry.trace, 0) + total_ns[index]
    return per_trace
