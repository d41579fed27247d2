"""Slow statements and error hotspots from Prometheus' span metrics, with the rules, ids and
table columns of :mod:`.slow_queries` and :mod:`.error_hotspots` (approximations: see
:mod:`.backend_metrics`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

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
from e2e_otel.analyzers.common import dominant, endpoint_title, pct, summarize
from e2e_otel.analyzers.judgements import StatementSummary, slow_query
from e2e_otel.analyzers.models import AnalyzerResult, Recommendation, Section, finding_id
from e2e_otel.analyzers.registry import SLOW_QUERIES
from e2e_otel.config import Config
from e2e_otel.sources.prometheus import SpanMetrics


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


def analyze_statements(
    metrics: SpanMetrics, config: Config, traced: Sequence[Recommendation] = ()
) -> AnalyzerResult:
    """The statement profile (top by total time) and findings for p95 over the database
    warning threshold (rule ``slow_queries``, judged by :func:`.judgements.slow_query`).
    ``traced`` is not read (the merge keeps the traces' statement text and SQL advice)."""
    cfg = SLOW_QUERIES.read(config)
    statements = {fp: st for fp, st in _statements(metrics).items() if round(st.calls)}
    p = quantiles(metrics.statement_quantiles, "fingerprint")
    all_ms = sum(st.total_ms for st in statements.values())
    ranked = sorted(statements.items(), key=lambda kv: (-kv[1].total_ms, kv[0]))
    rows, recommendations = [], []
    for rank, (fp, st) in enumerate(ranked, 1):
        calls, share = round(st.calls), pct(st.total_ms, all_ms)
        p50 = p.get(("fingerprint", fp), {}).get("0.5")
        p95 = p.get(("fingerprint", fp), {}).get("0.95")
        if rank <= cfg.top:
            total, mean = round(st.total_ms, 3), round(st.total_ms / st.calls, 3)
            row = (rank, fp, "", calls, total, share, mean, cell(p50), cell(p95))
            rows.append((*row, "", "", "", summarize(st.workflows), ""))
        if p95 is None or p95 <= config.thresholds.database.warning_ms:
            continue
        summary = StatementSummary(
            fingerprint_id=fp,
            text="",
            sample="",
            calls=calls,
            total_ms=st.total_ms,
            share_pct=share,
            mean_ms=st.total_ms / st.calls,
            p50_ms=p50,
            p95_ms=p95,
            workflows=st.workflows,
            service=dominant(st.services),
            workflow=dominant(st.workflows),
        )
        recommendations.append(slow_query(summary, config, cfg))
    section = Section(slow_queries.NAME, slow_queries.TITLE, slow_queries.COLUMNS, tuple(rows))
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
    metrics: SpanMetrics, config: Config, traced: Sequence[Recommendation] = ()
) -> AnalyzerResult:
    """Failed requests by error category and endpoint, rated against the endpoint's requests
    (rule ``error_hotspot``). ``traced``: the traces' findings, whose error hotspots name the
    failing statement span metrics cannot tell apart."""
    known = failing_statements(traced)
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
        fp = known.get((category, *endpoint), "")
        candidates = statements.get((endpoint[0], workflow, category), set())
        fp = fp or (next(iter(candidates)) if len(candidates) == 1 else "")
        requests = totals.requests(("endpoint", *endpoint))
        rate = pct(failures, requests)
        label = endpoint_title(endpoint)
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
    section = Section(
        error_hotspots.NAME, error_hotspots.TITLE, error_hotspots.COLUMNS, tuple(rows)
    )
    return AnalyzerResult(error_hotspots.NAME, tuple(recommendations), (section,))


def failing_statements(recommendations: Iterable[Recommendation]) -> FailingStatements:
    """(category, service, method, route) -> fingerprint id of the failing statement the
    traces' error hotspots named."""
    found = {}
    for rec in recommendations:
        ev = rec.evidence
        if rec.rule != error_hotspots.RULE or not ev.fingerprint_id or not ev.route:
            continue
        # The title starts with the category; the id confirms it (and that it is not "handled").
        key = (rec.title.split(" ", 1)[0], ev.service or "", ev.method or "", ev.route)
        if rec.id == finding_id(error_hotspots.RULE, *key, ev.fingerprint_id, ""):
            found[key] = ev.fingerprint_id
    return found
