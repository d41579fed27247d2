"""Slow statements and error hotspots from Prometheus' span metrics, with the rules, ids and
table columns of :mod:`.slow_queries` and :mod:`.error_hotspots` (approximations: see
:mod:`.backend_metrics`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping

from e2e_otel import metrics as m
from e2e_otel.analyzers import error_hotspots, slow_queries
from e2e_otel.analyzers.backend_metrics import (
    FailingStatements,
    Totals,
    cell,
    endpoint_of,
    measured,
    quantiles,
    statement_samples,
)
from e2e_otel.analyzers.common import dominant, endpoint_label, pct, summarize
from e2e_otel.analyzers.models import (
    AnalyzerResult,
    Evidence,
    Priority,
    Recommendation,
    Section,
    finding_id,
)
from e2e_otel.analyzers.settings import settings
from e2e_otel.config import Config
from e2e_otel.sources.prometheus import SpanMetrics

_LOWER: Mapping[Priority, Priority] = {"high": "medium", "medium": "low", "low": "low"}


class _Statement:
    def __init__(self) -> None:
        self.calls = 0.0
        self.total_ms = 0.0
        self.services: Counter[str] = Counter()
        self.workflows: Counter[str] = Counter()


def _statements(metrics: SpanMetrics) -> dict[str, _Statement]:
    found: dict[str, _Statement] = defaultdict(_Statement)
    for sample in statement_samples(metrics.statement_calls):
        statement = found[sample.labels.get(m.FINGERPRINT_ID, "")]
        statement.calls += sample.value
        statement.services[sample.labels.get(m.SERVICE, "")] += round(sample.value)
        statement.workflows[sample.labels.get(m.WORKFLOW, "")] += round(sample.value)
    for sample in statement_samples(metrics.statement_ms):
        found[sample.labels.get(m.FINGERPRINT_ID, "")].total_ms += sample.value
    return found


def analyze_statements(metrics: SpanMetrics, config: Config) -> AnalyzerResult:
    """The statement profile (top by total time) and findings for p95 over the database
    warning threshold (rule ``slow_queries``)."""
    s = settings(config, slow_queries.NAME, slow_queries.DEFAULTS)
    statements = {fp: st for fp, st in _statements(metrics).items() if round(st.calls)}
    p = quantiles(metrics.statement_quantiles, "fingerprint")
    all_ms = sum(st.total_ms for st in statements.values())
    ranked = sorted(statements.items(), key=lambda kv: (-kv[1].total_ms, kv[0]))
    threshold = config.thresholds.database
    rows, recommendations = [], []
    for rank, (fp, st) in enumerate(ranked, 1):
        calls, total = round(st.calls), round(st.total_ms, 3)
        share, mean = pct(st.total_ms, all_ms), round(st.total_ms / st.calls, 3)
        p50, p95 = (
            p.get(("fingerprint", fp), {}).get("0.5"),
            p.get(("fingerprint", fp), {}).get("0.95"),
        )
        if rank <= s["top"]:
            row = (rank, fp, "", calls, total, share, mean, cell(p50), cell(p95))
            rows.append((*row, "", "", "", summarize(st.workflows), ""))
        if p95 is None or p95 <= threshold.warning_ms:
            continue
        critical = p95 >= threshold.critical_ms
        priority: Priority = "low"
        if (critical and share >= s["medium_share_pct"]) or share >= s["high_share_pct"]:
            priority = "high"
        elif critical or share >= s["medium_share_pct"]:
            priority = "medium"
        saving = max(mean - threshold.warning_ms, 0.0)
        recommendations.append(
            Recommendation(
                id=finding_id(slow_queries.NAME, fp),
                rule=slow_queries.NAME,
                category="database",
                priority=priority,
                title=f"Slow query {fp}: p95 {p95:g} ms, {share:g}% of database time",
                description=(
                    f"Statement shape {fp} ran {calls} times for {total:g} ms ({share:g}% of all "
                    f"database time): mean {mean:g} ms, p50 {cell(p50)}, p95 {p95:g} ms (warning "
                    f"{threshold.warning_ms:g} / critical {threshold.critical_ms:g} ms). Seen in "
                    f"{summarize(st.workflows) or 'no workflow'}."
                ),
                steps=(
                    f"Find the statement text: e2e.db.fingerprint on the spans with "
                    f"e2e.db.fingerprint_id={fp} (an example trace in Tempo)",
                    "Run EXPLAIN on it with real values: look for full scans, a large rows "
                    "estimate, Using temporary / Using filesort; add the missing index",
                ),
                expected_improvement_ms=round(saving, 3),
                expected_improvement_pct=round(share * saving / mean, 2) if mean else None,
                evidence=Evidence(
                    service=dominant(st.services),
                    workflow=dominant(st.workflows),
                    fingerprint_id=fp,
                    figures={
                        "calls": float(calls),
                        "total_ms": total,
                        "share_of_db_time_pct": share,
                        "mean_ms": mean,
                        "p95_ms": p95,
                        **({"p50_ms": p50} if p50 is not None else {}),
                    },
                ),
            )
        )
    title = "Slow queries: profile by statement fingerprint"
    section = Section(slow_queries.NAME, title, slow_queries.COLUMNS, tuple(rows))
    return AnalyzerResult(slow_queries.NAME, tuple(recommendations), (section,))


def _failing(metrics: SpanMetrics) -> dict[tuple[str, str, str], set[str]]:
    """(service, workflow, category) -> fingerprint ids of database spans failing with it."""
    found: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for sample in statement_samples(metrics.statement_calls):
        labels = sample.labels
        category = labels.get(m.ERROR_CATEGORY, "")
        if category and round(sample.value):
            key = (labels.get(m.SERVICE, ""), labels.get(m.WORKFLOW, ""), category)
            found[key].add(labels.get(m.FINGERPRINT_ID, ""))
    return found


def analyze_errors(
    metrics: SpanMetrics, config: Config, known: FailingStatements | None = None
) -> AnalyzerResult:
    """Failed requests by error category and endpoint, rated against the endpoint's requests
    (rule ``error_hotspot``). ``known``: failing statements the traces named."""
    totals = Totals(metrics)
    statements = _failing(metrics)
    spots: dict[tuple[str, tuple[str, str, str]], Counter[str]] = defaultdict(Counter)
    for sample in measured(metrics.errors):
        category = sample.labels.get(m.ERROR_CATEGORY, "")
        spot = spots[(category, endpoint_of(sample.labels))]
        spot[sample.labels.get(m.WORKFLOW, "")] += round(sample.value)
    rows, recommendations = [], []
    for (category, endpoint), workflows in sorted(
        spots.items(), key=lambda kv: (-kv[1].total(), kv[0])
    ):
        failures = workflows.total()
        if not failures:
            continue
        workflow = dominant(workflows) or ""
        fp = (known or {}).get((category, *endpoint), "")
        candidates = statements.get((endpoint[0], workflow, category), set())
        fp = fp or (next(iter(candidates)) if len(candidates) == 1 else "")
        requests = totals.requests(("endpoint", *endpoint))
        rate = pct(failures, requests)
        label = endpoint_label(endpoint)
        rows.append((category, label, workflow, fp, failures, requests, rate, False, ""))
        recommendations.append(
            error_hotspots.hotspot_recommendation(
                config,
                category,
                endpoint,
                fingerprint_id=fp,
                fingerprint=None,
                failures=failures,
                total=requests,
                workflow=workflow,
            )
        )
    title = "Failures by error category and endpoint"
    section = Section(error_hotspots.NAME, title, error_hotspots.COLUMNS, tuple(rows))
    return AnalyzerResult(error_hotspots.NAME, tuple(recommendations), (section,))
