"""Time series the regression detector reads, whatever source they come from.

Sources build them: OTLP files by bucketing request entries / database spans in time
(:mod:`e2e_otel.analyzers.regressions` builds them from a dataset), Prometheus with one
``query_range`` per metric aggregated ``by`` the subject labels. The detector needs nothing
else, so the same analyzer runs on both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from e2e_otel.analyzers.models import Evidence

#: What a series is about: an API endpoint ("route"), a workflow, or a statement shape.
SubjectKind = Literal["route", "workflow", "fingerprint"]
#: Latency p95 in milliseconds, or the share (0-1) of failed requests.
SeriesMetric = Literal["p95_ms", "error_ratio"]


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


#: Rules of the regression findings (``Recommendation.rule``). Their evidence carries the
#: figures ``change_ratio`` (current / baseline), ``changed_at_unix_s``, ``baseline``,
#: ``current`` (in the series' unit: ms or ratio) and ``p_value``.
LATENCY_REGRESSION = "latency_regression"
ERROR_RATE_REGRESSION = "error_rate_regression"
REGRESSION_RULES = frozenset({LATENCY_REGRESSION, ERROR_RATE_REGRESSION})


def subject_of(evidence: Evidence) -> tuple[SubjectKind, str]:
    """(kind, target) of a series' or regression finding's evidence: a statement shape when it
    names a fingerprint id, else an endpoint when it names a route, else a workflow."""
    if evidence.fingerprint_id:
        return "fingerprint", evidence.fingerprint_id
    if evidence.route:
        method = evidence.method or ""
        route = evidence.route
        label = route if not method or route.startswith(method + " ") else f"{method} {route}"
        return "route", label
    return "workflow", evidence.workflow or ""
