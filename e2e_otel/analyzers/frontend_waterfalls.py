"""Browser fetch waterfalls: under one workflow (or page) span, reads (GET, HEAD) of different
URLs made strictly one after the other, each starting at most ``max_gap_ms`` after the
previous one ended. Made concurrently they would take as long as the slowest, saving the sum
minus the max.

The same idea as :mod:`.parallelizable` for SQL, on browser spans: URLs are compared as
templates (ids become ``{id}``, the query string is left out), and traces cannot show data
dependencies (a request may need the previous one's answer), so a finding is a suggestion to
check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from e2e_otel.analyzers.common import dominant, examples, ms, pct, sequential_runs
from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.frontend_spans import BrowserSpan, url_template
from e2e_otel.analyzers.models import (
    AnalyzerResult,
    Evidence,
    Priority,
    Recommendation,
    Section,
    finding_id,
)
from e2e_otel.analyzers.registry import FETCH_WATERFALLS, FetchWaterfallsSettings
from e2e_otel.config import Config

NAME = FETCH_WATERFALLS.name
RULE = "fetch_waterfall"
# Only reads: a write and the read after it (a cart update, then the cart) are ordered on
# purpose.
_READS = frozenset({"GET", "HEAD"})
COLUMNS = ("service", "under", "requests", "occurrences", "avg_sequential_ms", "avg_saving_ms")


@dataclass
class _Chain:
    occurrences: int = 0
    total_ns: int = 0
    saving_ns: int = 0
    parent_ns: int = 0
    workflows: dict[str, int] = field(default_factory=dict)
    samples: list[tuple[int, int]] = field(default_factory=list)


def find_chains(fetches: Sequence[BrowserSpan], max_gap_ns: float) -> list[list[BrowserSpan]]:
    """Maximal chains (2+ reads, in start order) in which each fetch starts after the
    previous one ended, within ``max_gap_ns``, and asks another URL template."""
    return sequential_runs(
        sorted(fetches, key=lambda f: (f.start_ns, f.end_ns, f.span)),
        start=lambda f: f.start_ns,
        end=lambda f: f.end_ns,
        key=_request,
        qualifies=lambda f: f.method in _READS,
        max_gap_ns=max_gap_ns,
    )


def analyze(ds: Dataset, config: Config, now: datetime) -> AnalyzerResult:
    s = FETCH_WATERFALLS.read(config)
    parents = {(span.trace, span.span): span for span in ds.browser if not span.is_fetch}
    fetches: dict[tuple[int, int], list[BrowserSpan]] = {}
    for span in ds.browser:
        if span.is_fetch and (span.trace, span.parent) in parents:
            fetches.setdefault((span.trace, span.parent), []).append(span)
    found: dict[tuple[str, str, tuple[str, ...]], _Chain] = {}
    for key, spans in fetches.items():
        parent = parents[key]
        for chain in find_chains(spans, s.max_gap_ms * 1e6):
            durations = [f.duration_ns for f in chain]
            saving = sum(durations) - max(durations)
            item = found.setdefault(
                (parent.service, under(parent), tuple(_request(f) for f in chain)), _Chain()
            )
            item.occurrences += 1
            item.total_ns += sum(durations)
            item.saving_ns += saving
            item.parent_ns += parent.duration_ns
            item.workflows[parent.workflow] = item.workflows.get(parent.workflow, 0) + 1
            item.samples.append((saving, parent.trace))
    rows = []
    recommendations = []
    for subject, item in sorted(found.items(), key=lambda kv: (-kv[1].saving_ns, kv[0])):
        service, label, requests = subject
        saving_ns = item.saving_ns / item.occurrences
        rows.append(
            (
                service,
                label,
                " → ".join(requests),
                item.occurrences,
                ms(item.total_ns / item.occurrences),
                ms(saving_ns),
            )
        )
        if saving_ns >= s.min_saving_ms * 1e6:
            recommendations.append(_recommend(ds, subject, item, s))
    section = Section(NAME, "Browser fetches made one after another", COLUMNS, tuple(rows))
    return AnalyzerResult(NAME, tuple(recommendations), (section,))


def under(parent: BrowserSpan) -> str:
    """What a chain sits under: ``workflow product_fetch``, ``page /products/{id}``."""
    if parent.is_workflow:
        return parent.name
    return f"page {url_template(parent.target)}" if parent.target else parent.name


def _request(fetch: BrowserSpan) -> str:
    return f"{fetch.method} {url_template(fetch.target)}"


def _recommend(
    ds: Dataset,
    key: tuple[str, str, tuple[str, ...]],
    item: _Chain,
    s: FetchWaterfallsSettings,
) -> Recommendation:
    service, label, requests = key
    saving_ns = item.saving_ns / item.occurrences
    share = pct(item.saving_ns, item.parent_ns)
    priority: Priority = "medium" if share >= 25 else "low"
    listed = ", then ".join(f"`{r}`" for r in requests)
    return Recommendation(
        id=finding_id(RULE, service, label, *requests),
        rule=RULE,
        category="frontend",
        priority=priority,
        title=f"{len(requests)} browser requests in {label} wait for each other",
        description=(
            f"{label} ({service}) fetches {listed}, each after the previous one answered "
            f"({item.occurrences} times, {ms(item.total_ns / item.occurrences):g} ms in a "
            f"row). If none needs another's answer, making them concurrently would save about "
            f"{ms(saving_ns):g} ms ({share:g}% of the {label} span). Traces cannot show data "
            "dependencies: check before changing."
        ),
        steps=(
            "Check that no request needs the previous one's answer (an id, a token, a cursor)",
            "Start the independent requests together and await them once: "
            "`await Promise.all([fetchA(), fetchB()])` (Promise.allSettled when one may fail "
            "alone), instead of awaiting each before starting the next",
            "In React, start the requests in the parent (or in a route loader / server "
            "component) rather than in nested components that each fetch after they render; "
            "with TanStack Query use useQueries, or prefetch",
            "When requests truly depend on each other, let the API answer them in one request "
            "(an endpoint that returns both) to save the round trips",
        ),
        expected_improvement_ms=ms(saving_ns),
        expected_improvement_pct=share,
        evidence=Evidence(
            service=service,
            route=label,
            workflow=dominant(item.workflows),
            figures={
                "requests": len(requests),
                "occurrences": item.occurrences,
                "avg_sequential_ms": ms(item.total_ns / item.occurrences),
                "avg_saving_ms": ms(saving_ns),
            },
            trace_ids=examples(ds, item.samples, s.examples),
        ),
    )
