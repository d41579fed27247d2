"""What analyzers produce: findings with recommendations, the series charted with the change
points found in them, and the report that gathers them.

Analyzers are pure functions of data + config + clock; these types are their only output, so
publishers (JSON, Markdown, HTML, Prometheus, Grafana) depend on nothing else. ``Series`` lives
here, not in :mod:`.series`, because a chart carries one and the report carries the charts.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Category = Literal["database", "api", "frontend"]
Priority = Literal["high", "medium", "low"]
PRIORITY_ORDER: Mapping[str, int] = {"high": 0, "medium": 1, "low": 2}
REPORT_SCHEMA_VERSION = "1.2"
#: What a series is about: an API endpoint ("route"), a workflow, or a statement shape.
SubjectKind = Literal["route", "workflow", "fingerprint"]
#: Latency p95 in milliseconds, or the share (0-1) of failed requests.
SeriesMetric = Literal["p95_ms", "error_ratio"]


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
class Series:
    """One subject's metric over time: ``points`` are (unix seconds, value), ascending in time,
    one per step; steps with no data are left out (not zero). ``evidence`` names the subject
    (service, route/method, workflow, fingerprint) for the findings."""

    kind: SubjectKind
    target: str  # display name, e.g. "GET api/products/", "checkout", a fingerprint id
    metric: SeriesMetric
    points: tuple[tuple[float, float], ...]
    evidence: Evidence = field(default_factory=Evidence)
    # Requests (or statements) behind each point, when the source knows: a point made of two
    # requests weighs less than one of two thousand. Same length as ``points`` or empty.
    counts: tuple[int, ...] = ()


@dataclass(frozen=True)
class ChangePoint:
    """A confirmed shift in a series' mean: ``points[index]`` is the first point after it."""

    index: int
    at_unix_s: float  # time of points[index]
    before: float  # mean of the segment before, in the series' unit
    after: float  # mean of the segment after
    p_value: float  # Welch's t-test between the two segments

    @property
    def relative_change(self) -> float:
        """(after - before) / before; infinite when a zero baseline grew."""
        if self.before:
            return (self.after - self.before) / abs(self.before)
        return 0.0 if self.after == self.before else math.copysign(math.inf, self.after)

    @property
    def direction(self) -> Literal["up", "down"]:
        return "up" if self.after > self.before else "down"


@dataclass(frozen=True)
class SeriesChart:
    """A series to draw with the change points found in it (the HTML report's line charts)."""

    series: Series
    change_points: tuple[ChangePoint, ...] = ()


@dataclass(frozen=True)
class AnalyzerResult:
    """One analyzer's output."""

    analyzer: str
    recommendations: tuple[Recommendation, ...] = ()
    sections: tuple[Section, ...] = ()
    charts: tuple[SeriesChart, ...] = ()


@dataclass(frozen=True)
class Sampling:
    """The traces analysed were kept by a sampling tier (their resources carry its mark,
    ``e2e.sampling.*``): trace-based figures are of the kept traces, not of all requests."""

    policy: str  # e2e.sampling.policy, e.g. "tail"; several are joined by ", "
    # The baseline share(s) of ordinary traces kept, e.g. (10.0,); empty when not recorded.
    baseline_percent: tuple[float, ...]
    spans: int  # spans that carry the mark: all of the report's, unless the input mixed sources


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
    charts: tuple[SeriesChart, ...] = ()
    schema_version: str = REPORT_SCHEMA_VERSION
    sampling: Sampling | None = None  # set when the traces came from a sampling tier
