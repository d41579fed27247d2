"""What analyzers produce: findings with recommendations, and the report that gathers them.

Analyzers are pure functions of data + config + clock; these types are their only output, so
publishers (JSON, Markdown, HTML, Prometheus, Grafana) depend on nothing else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Category = Literal["database", "api", "frontend"]
Priority = Literal["high", "medium", "low"]
PRIORITY_ORDER: Mapping[str, int] = {"high": 0, "medium": 1, "low": 2}
REPORT_SCHEMA_VERSION = "1.0"


def finding_id(rule: str, *key: str) -> str:
    """A stable id: the same rule on the same subject (fingerprint, route, ...) keeps its id
    across runs. 16 lowercase hex chars."""
    text = "\x1f".join((rule, *key))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


@dataclass(frozen=True)
class Evidence:
    """Where a finding was seen and the figures behind it."""

    service: str | None = None
    workflow: str | None = None
    route: str | None = None
    method: str | None = None  # HTTP method of the endpoint, with ``route``
    fingerprint_id: str | None = None
    fingerprint: str | None = None
    # Named numbers, e.g. {"p95_ms": 412.0, "calls": 1200, "share_of_db_time_pct": 37.5}.
    figures: Mapping[str, float] = field(default_factory=dict)
    # A few example traces (most telling first), for links to Tempo.
    trace_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recommendation:
    """One finding and what to do about it (the seed's shape)."""

    id: str
    rule: str  # the analyzer rule that produced it, e.g. "n_plus_one"
    category: Category
    priority: Priority
    title: str  # one line, names the subject
    description: str
    steps: tuple[str, ...]  # implementation steps
    # Expected improvement as a number: ms saved per request, and/or % of the subject's time.
    expected_improvement_ms: float | None
    expected_improvement_pct: float | None
    evidence: Evidence

    def sort_key(self) -> tuple[Any, ...]:
        """Deterministic order: priority, then the larger expected saving, then id."""
        saving = self.expected_improvement_ms or 0.0
        return (PRIORITY_ORDER[self.priority], -saving, self.rule, self.id)


@dataclass(frozen=True)
class Section:
    """A table an analyzer contributes to the report (e.g. the slow-query profile)."""

    name: str  # machine name, e.g. "slow_queries"
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class AnalyzerResult:
    """One analyzer's output."""

    analyzer: str
    recommendations: tuple[Recommendation, ...] = ()
    sections: tuple[Section, ...] = ()


@dataclass(frozen=True)
class Report:
    """Everything one analysis run found. ``complete`` is False when part of the input could not
    be read (see ``problems``): a partial report is never presented as complete."""

    generated_at: datetime
    source: str  # e.g. "otlp-files: out/traces.jsonl" or "prometheus: http://..."
    window_start: datetime | None
    window_end: datetime | None
    spans: int
    traces: int
    recommendations: tuple[Recommendation, ...]
    sections: tuple[Section, ...]
    problems: tuple[str, ...] = ()
    complete: bool = True
    schema_version: str = REPORT_SCHEMA_VERSION
