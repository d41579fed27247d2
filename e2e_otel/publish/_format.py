"""Text shared by the human-readable publishers (Markdown, HTML): the verdict, numbers, savings.

Everything here returns plain, unescaped text; each publisher escapes for its own syntax.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime
from typing import Any

from e2e_otel.analyzers.common import endpoint_title
from e2e_otel.analyzers.error_hotspots import is_client_error
from e2e_otel.analyzers.models import PRIORITY_ORDER, Recommendation, Report
from e2e_otel.attributes import SAMPLING_POLICY_TAIL as TAIL
from e2e_otel.publish.json_report import iso_utc, sorted_recommendations

NONE = "—"


def priority_counts(report: Report) -> dict[str, int]:
    """Recommendations per priority, every priority present, in priority order."""
    counts: Counter[str] = Counter(rec.priority for rec in report.recommendations)
    return {priority: counts[priority] for priority in PRIORITY_ORDER}


def verdict(report: Report) -> str:
    """One line: counts by priority, then whether the report is complete."""
    counts = ", ".join(f"{n} {p}" for p, n in priority_counts(report).items())
    total = len(report.recommendations)
    noun = "recommendation" if total == 1 else "recommendations"
    state = (
        "complete"
        if report.complete
        else f"INCOMPLETE ({len(report.problems)} {_plural(len(report.problems), 'problem')})"
    )
    kept = " kept" if report.sampling is not None else ""  # a sample, not all requests
    return (
        f"{total} {noun} ({counts}) · {state} · {format_number(report.spans)} spans in "
        f"{format_number(report.traces)}{kept} traces"
    )


def sampling_note(report: Report) -> str | None:
    """What a report on sampled traces must say before any figure, or None when the traces
    were not marked by a sampling tier."""
    sampling = report.sampling
    if sampling is None:
        return None
    rates = " or ".join(f"{format_number(p)} %" for p in sampling.baseline_percent)
    if sampling.policy == TAIL:
        kept = "every error, slow and query-heavy trace kept, the others " + (
            f"at {rates}" if rates else "at a baseline rate"
        )
    else:
        kept = f"policy {sampling.policy}"
    whose = (
        "Traces"
        if sampling.spans >= report.spans
        else f"{format_number(sampling.spans)} of the {format_number(report.spans)} spans"
    )
    return (
        f"{whose} from a sampling tier ({kept}): counts, shares of requests and percentiles "
        "below are of the kept traces, not of all requests. The counts and percentiles of "
        "all requests come from the span metrics in Prometheus (e2e-otel analyze --prometheus "
        "URL)."
    )


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"


def format_number(value: float | None) -> str:
    """Thousands separators from 100 up, 1 decimal from 10, 3 significant digits below."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return NONE
    if isinstance(value, int) or (float(value).is_integer() and abs(value) >= 1):
        return f"{round(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}".removesuffix(".0")
    return f"{value:.3g}"


def format_saving(rec: Recommendation) -> str:
    """The expected improvement, e.g. ``120 ms/request (35%)``, or a dash when not estimated."""
    parts = []
    if rec.expected_improvement_ms is not None and math.isfinite(rec.expected_improvement_ms):
        parts.append(f"{format_number(rec.expected_improvement_ms)} ms/request")
    if rec.expected_improvement_pct is not None and math.isfinite(rec.expected_improvement_pct):
        pct = f"{format_number(rec.expected_improvement_pct)}%"
        parts.append(f"({pct})" if parts else f"{pct} of its time")
    return " ".join(parts) or NONE


def format_cell(value: Any) -> str:
    """A section cell as text: numbers via ``format_number``, datetimes in UTC, None as a dash."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, datetime):
        return iso_utc(value)
    return str(value)


def format_window(report: Report) -> str:
    """The analysed window, e.g. ``2024-05-01T00:00:00Z → 2024-05-08T00:00:00Z``."""
    start = iso_utc(report.window_start) if report.window_start else "start of data"
    end = iso_utc(report.window_end) if report.window_end else "end of data"
    return f"{start} → {end}"


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def evidence_fields(rec: Recommendation) -> list[tuple[str, str]]:
    """The evidence's short named fields that are set, as (label, value) pairs; the fingerprint,
    figures and trace ids are laid out separately by each publisher."""
    ev = rec.evidence
    fields = [
        ("Service", ev.service),
        ("Workflow", ev.workflow),
        ("Route", endpoint_title(("", ev.method or "", ev.route)) if ev.route else None),
        ("Fingerprint id", ev.fingerprint_id),
    ]
    return [(label, value) for label, value in fields if value]


def figure_items(rec: Recommendation) -> list[tuple[str, str]]:
    """The evidence figures as (name, formatted value) pairs, sorted by name."""
    return [(name, format_number(value)) for name, value in sorted(rec.evidence.figures.items())]


def ranked(report: Report) -> tuple[list[Recommendation], list[Recommendation]]:
    """(findings, client errors): the report's findings by importance across kinds, and the
    client-error hotspots (a login's 401s, a form's 400s) apart, so expected 4xx do not crowd
    out real problems.

    Each rule's best finding leads (unless it is low), by priority then expected saving; the
    rest follow by priority, the kinds taking turns within a priority (every rule's second
    before any rule's third), so 70 slow endpoints cannot push a regression or an N+1 out of
    the top of the report."""
    findings: list[Recommendation] = []
    client: list[Recommendation] = []
    for rec in sorted_recommendations(report):
        (client if is_client_error(rec) else findings).append(rec)
    turn: Counter[str] = Counter()
    keyed = []
    for rec in findings:  # in sort_key order, so a rule's best come first
        order = PRIORITY_ORDER[rec.priority]
        leads = turn[rec.rule] == 0 and rec.priority != "low"
        keyed.append(((not leads, order, turn[rec.rule], *rec.sort_key()[1:]), rec))
        turn[rec.rule] += 1
    return [rec for _, rec in sorted(keyed, key=lambda kv: kv[0])], client
