"""The judgement and wording of the rules both sources evaluate: latency against the thresholds
(``slow_endpoint``, ``slow_workflow``, ``slow_frontend``) and slow statements (``slow_queries``).

Spans (files, Tempo's traces) and Prometheus' span metrics measure differently; each path only
builds the summary of a subject, and the finding — id, priority, title, description, steps,
expected improvement — comes from here, so a subject reads the same whichever source found it.
A summary leaves out (``None``) what its source cannot know: span metrics have no maximum, no
database share per endpoint and no statement text, and the text adapts to that, not to the
source. (Error hotspots share :func:`.error_hotspots.hotspot_recommendation` the same way; the
health score shares :func:`.health.score_from_counts`.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from e2e_otel.analyzers.common import pct, short, statement_label, summarize
from e2e_otel.analyzers.models import Category, Evidence, Priority, Recommendation, finding_id
from e2e_otel.analyzers.registry import SlowQueriesSettings
from e2e_otel.analyzers.sql_advice import advise
from e2e_otel.config import Config, Threshold

#: Below this database share the steps point at the view code and how to profile it.
VIEW_CODE_SHARE_PCT = 10.0
_WHAT = {"slow_endpoint": "Endpoint", "slow_workflow": "Workflow", "slow_frontend": "Page"}
_EXPLAIN = (
    "Run EXPLAIN (or EXPLAIN ANALYZE on MySQL 8) on the statement with real values: look for "
    "type ALL, a large rows estimate, Using temporary / Using filesort"
)


@dataclass(frozen=True)
class LatencySummary:
    """One endpoint, workflow or frontend page as the thresholds rule judges it (ms)."""

    rule: str  # slow_endpoint, slow_workflow or slow_frontend
    key: tuple[str, ...]  # what the finding id is made of
    label: str
    requests: int
    p50_ms: float | None
    p95_ms: float
    p99_ms: float | None = None
    max_ms: float | None = None
    db_share_pct: float | None = None  # database time / request time; None: unknown or a page
    db_queries_median: int | None = None  # set when at least chatty's min_db_spans
    workflow_runs: int | None = None  # distinct workflow ids, for slow_workflow
    histograms: bool = False  # percentiles interpolated in span-metric buckets
    service: str | None = None
    method: str | None = None
    route: str | None = None
    workflow: str | None = None
    trace_ids: tuple[str, ...] = ()


def level(p95_ms: float, threshold: Threshold) -> str:
    """``critical`` from the critical threshold on, ``warning`` above the warning one, else
    ``ok`` (the same cut for spans and span metrics)."""
    if p95_ms >= threshold.critical_ms:
        return "critical"
    return "warning" if p95_ms > threshold.warning_ms else "ok"


def latency_threshold(rule: str, config: Config) -> Threshold:
    """The threshold a subject of ``rule`` is judged against."""
    return config.thresholds.frontend if rule == "slow_frontend" else config.thresholds.api


def slow_subject(s: LatencySummary, config: Config) -> Recommendation | None:
    """The finding for a subject whose p95 is over its threshold (None when it is not)."""
    threshold = latency_threshold(s.rule, config)
    judged = level(s.p95_ms, threshold)
    if judged == "ok":
        return None
    category: Category = "frontend" if s.rule == "slow_frontend" else "api"
    saving = s.p95_ms - threshold.warning_ms
    p95 = round(s.p95_ms, 3)
    spread = _spread(p50=s.p50_ms, p99=s.p99_ms, max=s.max_ms)
    how = ", from the span-metric histograms" if s.histograms else ""
    scope = "the workflow's requests" if s.rule == "slow_workflow" else "requests"
    share = s.db_share_pct
    figures: dict[str, float] = {"requests": s.requests}
    if s.workflow_runs is not None:
        figures["workflow_runs"] = s.workflow_runs
    figures |= _known(p50_ms=s.p50_ms, p95_ms=s.p95_ms, p99_ms=s.p99_ms, max_ms=s.max_ms)
    if share is not None:
        figures["db_share_pct"] = share
    if s.db_queries_median is not None:
        figures["db_queries_median"] = s.db_queries_median
    return Recommendation(
        id=finding_id(s.rule, *s.key),
        rule=s.rule,
        category=category,
        priority="high" if judged == "critical" else "medium",
        title=f"{_WHAT[s.rule]} {s.label} is slow: p95 {p95:g} ms",
        description=(
            f"p95 {p95:g} ms over {s.requests} {scope} ({spread} ms{how}) against the "
            f"{category} threshold of {threshold.warning_ms:g} ms (critical "
            f"{threshold.critical_ms:g} ms)"
            + (f"; {share:g}% of the time is spent in the database." if share is not None else ".")
        ),
        steps=_latency_steps(s),
        expected_improvement_ms=round(saving, 3),
        expected_improvement_pct=pct(saving, s.p95_ms),
        evidence=Evidence(
            service=s.service,
            method=s.method,
            route=s.route,
            workflow=s.workflow,
            figures=figures,
            trace_ids=s.trace_ids,
        ),
    )


def _latency_steps(s: LatencySummary) -> tuple[str, ...]:
    """Where to look first: the page, the layer the database share points to, or - without
    one - the traces."""
    share = s.db_share_pct
    if s.rule == "slow_frontend":
        return (
            "Profile the page: render time, bundle size, blocking data fetches",
            "Move slow data fetching off the critical path (streaming, suspense, caching)",
        )
    if share is None:
        return (
            "Open the slowest example traces in Tempo and see which layer (database, "
            "application code, external calls) takes the time",
            "Fix that layer (see the slow-query, N+1 and chatty findings), then re-measure",
        )
    if s.db_queries_median is not None and share < 50:
        return (
            f"It runs {s.db_queries_median} database queries per request (median): besides "
            f"the {share:g}% of the time inside the database, every query costs application "
            "time (ORM, driver, tracing) - batch them first (see the N+1 and chatty findings "
            "for this subject)",
            "Then profile what remains of the application time (serialization, external "
            "calls, CPU work)",
        )
    if share >= 50:
        return (
            f"The database takes {share:g}% of the time: see the slow-query, N+1 and "
            "chatty findings for this subject first",
            "Add the missing indexes / batch the queries they point to, then re-measure",
        )
    if share < VIEW_CODE_SHARE_PCT:
        return (
            f"The time is in the view code, not the database ({share:g}% there): profile one "
            "request - django-silk or pyinstrument on the view, or cProfile - or read the "
            "self time of the spans in the example traces",
            "Fix the hot spot it shows: CPU work such as password hashing or (de)serialization "
            "is made cheaper or rarer, not cached; external calls get a timeout and move out "
            "of the request",
        )
    return (
        f"Only {share:g}% of the time is in the database: profile the application code "
        "(serialization, external calls, CPU work) under load",
        "Cache or precompute what does not change per request; move slow work to a background job",
    )


def one_endpoint_workflow(endpoints: Iterable[object]) -> bool:
    """Whether a workflow's requests all went to one endpoint: then a slow workflow is the
    slow endpoint's problem, reported once, as the endpoint (the workflow stays in the table)."""
    return len(set(endpoints)) == 1


@dataclass(frozen=True)
class StatementSummary:
    """One statement shape (fingerprint) as the slow-queries rule judges it (ms)."""

    fingerprint_id: str
    text: str  # the fingerprint's text; "" when the source has none (span metrics)
    sample: str  # a recorded statement, for the SQL advice ("" when none)
    calls: int
    total_ms: float
    share_pct: float  # of all database time
    mean_ms: float
    p50_ms: float | None
    p95_ms: float
    max_ms: float | None = None
    vmr: float | None = None
    routes: Mapping[str, int] | None = None  # None: the source does not see routes
    workflows: Mapping[str, int] | None = None
    service: str | None = None
    method: str | None = None
    route: str | None = None
    workflow: str | None = None
    trace_ids: tuple[str, ...] = ()


def slow_query(s: StatementSummary, config: Config, cfg: SlowQueriesSettings) -> Recommendation:
    """The finding for a statement shape whose p95 is over the database warning threshold."""
    threshold = config.thresholds.database
    critical = s.p95_ms >= threshold.critical_ms
    priority: Priority = "low"
    if (critical and s.share_pct >= cfg.medium_share_pct) or s.share_pct >= cfg.high_share_pct:
        priority = "high"
    elif critical or s.share_pct >= cfg.medium_share_pct:
        priority = "medium"
    # Bringing every call down to the warning threshold saves at least this much per call.
    saving = max(s.mean_ms - threshold.warning_ms, 0.0)
    spread = _spread(p50=s.p50_ms, p95=s.p95_ms, max=s.max_ms)
    if s.text:
        advice = advise(s.text, s.sample, cfg.huge_in_list)
        found = "; ".join(a.kind.replace("_", " ") for a in advice) or "nothing obvious in its text"
        subject, structure = f"`{short(s.text)}`", f" Structure: {found}."
        steps = (*(a.step for a in advice), _EXPLAIN)
    else:
        subject, structure = f"Statement shape {s.fingerprint_id}", ""
        steps = (
            f"Find the statement text: e2e.db.fingerprint on the spans with "
            f"e2e.db.fingerprint_id={s.fingerprint_id} (an example trace in Tempo)",
            _EXPLAIN,
        )
    if s.routes is not None:
        seen = summarize(dict(s.routes)) or "no request span"
    else:
        seen = summarize(dict(s.workflows or {})) or "no workflow"
    return Recommendation(
        id=finding_id("slow_queries", s.fingerprint_id),
        rule="slow_queries",
        category="database",
        priority=priority,
        title=(
            f"Slow query {statement_label(s.text) if s.text else s.fingerprint_id}: p95 "
            f"{round(s.p95_ms, 3):g} ms, {s.share_pct:g}% of database time"
        ),
        description=(
            f"{subject} ran {s.calls} times for {round(s.total_ms, 3):g} ms in total "
            f"({s.share_pct:g}% of all database time): mean {round(s.mean_ms, 3):g} ms, "
            f"{spread} ms (threshold: warning {threshold.warning_ms:g} / critical "
            f"{threshold.critical_ms:g} ms). Seen in {seen}.{structure}"
        ),
        steps=steps,
        expected_improvement_ms=round(saving, 3),
        expected_improvement_pct=(
            round(s.share_pct * saving / s.mean_ms, 2) if s.mean_ms else None
        ),
        evidence=Evidence(
            service=s.service,
            method=s.method,
            route=s.route,
            workflow=s.workflow,
            fingerprint_id=s.fingerprint_id,
            fingerprint=s.text or None,
            figures={
                "calls": s.calls,
                "total_ms": round(s.total_ms, 3),
                "share_of_db_time_pct": s.share_pct,
                "mean_ms": round(s.mean_ms, 3),
                **_known(p50_ms=s.p50_ms, p95_ms=s.p95_ms, max_ms=s.max_ms),
                **({"vmr": s.vmr} if s.vmr is not None else {}),
            },
            trace_ids=s.trace_ids,
        ),
    )


def _known(**values: float | None) -> dict[str, float]:
    """The figures a source knows, in ms rounded to the microsecond (as :func:`.common.ms`)."""
    return {name: round(value, 3) for name, value in values.items() if value is not None}


def _spread(**values: float | None) -> str:
    """``p50 12, max 80``: the known percentiles for a sentence."""
    return ", ".join(f"{name} {value:g}" for name, value in _known(**values).items())
