"""Health score 0-100 per service and per workflow, from latency and failures.

    apdex  = (satisfied + tolerating / 2) / requests
             satisfied: not failed and duration <= warning_ms
             tolerating: not failed and warning_ms < duration <= critical_ms
             frustrated: everything else, failed requests included
    errors = max(0, 1 - failure_ratio / (2 * thresholds.errors.critical_ratio))
    score  = round(100 * apdex * errors)

Apdex with the warning threshold as T and the critical one as the frustration limit; a failed
request is one whose entry span has status ERROR (a 5xx or an exception: a server fault), as the
pipeline's error ratio counts it. A client error (4xx, or a client category such as
``permission`` or ``validation`` on a request that did not fail) is not a failure: it is counted
apart, in ``client_error_pct``, as the error hotspots call it a client error. With
the default ratios the error factor is 0.875 at the warning ratio (5 %), 0.5 at the critical
ratio (20 %) and 0 from 40 %. API services and workflows use ``thresholds.api``; frontend
services use ``thresholds.frontend`` on their frontend spans.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from itertools import compress, repeat

from e2e_otel.analyzers.common import CLIENT_CATEGORIES, api_entries, ms, pct, percentile
from e2e_otel.analyzers.dataset import Dataset, Entry, durations_ns
from e2e_otel.analyzers.models import AnalyzerResult, Section
from e2e_otel.analyzers.registry import HEALTH
from e2e_otel.config import Config, Threshold

_ERROR = operator.attrgetter("error")
NAME = HEALTH.name
TITLE = "Health score (0-100) per service and workflow"
COLUMNS = (
    "kind",
    "name",
    "score",
    "requests",
    "apdex",
    "failure_rate_pct",
    "p95_ms",
    "client_error_pct",
)


def is_client_error(entry: Entry) -> bool:
    """A request the client got wrong (4xx, or a client error category) that did not fail."""
    return not entry.error and (
        400 <= entry.status_code < 500 or entry.category in CLIENT_CATEGORIES
    )


def score(
    durations: Sequence[int], errors: Sequence[bool], threshold: Threshold, critical_ratio: float
) -> tuple[int, float]:
    """(health score, apdex) of the requests of these durations (ns) and error flags, in the
    same order; (100, 1.0) when there are none. (Counted in C loops: ``map`` over the lists.)"""
    if not durations:
        return 100, 1.0
    warning, critical = threshold.warning_ms * 1e6, threshold.critical_ms * 1e6
    completed = list(compress(durations, map(operator.not_, errors)))
    satisfied = sum(map(operator.ge, repeat(warning), completed))
    tolerating = sum(
        map(operator.ge, repeat(critical), filter(partial(operator.lt, warning), completed))
    )
    failed = len(durations) - len(completed)
    return score_from_counts(len(durations), satisfied, tolerating, failed, critical_ratio)


def score_from_counts(
    requests: float, satisfied: float, tolerating: float, failed: float, critical_ratio: float
) -> tuple[int, float]:
    """The formula of the module docstring on counts (exact for spans, bucket-approximated
    for span metrics): (health score, apdex rounded to 3 places)."""
    if requests <= 0:
        return 100, 1.0
    apdex = min(max((satisfied + tolerating / 2) / requests, 0.0), 1.0)
    errors = max(0.0, 1 - (failed / requests) / (2 * critical_ratio))
    return round(100 * apdex * errors), round(apdex, 3)


def analyze(ds: Dataset, config: Config, now: datetime) -> AnalyzerResult:
    HEALTH.read(config)  # no settings: any given is an error
    subjects: dict[tuple[str, str], list[Entry]] = {}
    for _, entry in api_entries(ds):
        subjects.setdefault(("service", entry.service), []).append(entry)
        if entry.workflow:
            subjects.setdefault(("workflow", entry.workflow), []).append(entry)
    for entry in ds.frontend:
        subjects.setdefault(("frontend service", entry.service), []).append(entry)
    rows = []
    for (kind, name), entries in sorted(subjects.items()):
        threshold = (
            config.thresholds.frontend if kind == "frontend service" else config.thresholds.api
        )
        durations, errors = durations_ns(entries), list(map(_ERROR, entries))
        value, apdex = score(durations, errors, threshold, config.thresholds.errors.critical_ratio)
        durations.sort()
        failed = sum(errors)
        refused = sum(map(is_client_error, entries))
        rows.append(
            (
                kind,
                name,
                value,
                len(entries),
                apdex,
                pct(failed, len(entries)),
                ms(percentile(durations, 95)),
                pct(refused, len(entries)),
            )
        )
    section = Section(NAME, TITLE, COLUMNS, tuple(rows))
    return AnalyzerResult(NAME, sections=(section,))
