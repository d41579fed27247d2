"""Time series the regression detector reads, whatever source they come from.

Sources build them: OTLP files by bucketing request entries / database spans in time
(:mod:`e2e_otel.analyzers.regression_series`), Prometheus with one
``query_range`` per metric aggregated ``by`` the subject labels. The detector needs nothing
else, so the same analyzer runs on both.
"""

from __future__ import annotations

from e2e_otel.analyzers.models import Evidence, Series, SeriesMetric, SubjectKind

__all__ = [
    "ERROR_RATE_REGRESSION",
    "LATENCY_REGRESSION",
    "REGRESSION_RULES",
    "Series",
    "SeriesMetric",
    "SubjectKind",
    "subject_of",
]

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
