"""Every PromQL expression of every dashboard panel and every alert/recording rule, run against
the real Prometheus fed by the real pipeline (demo shop -> collector -> Prometheus)."""

from __future__ import annotations

import re

import pytest

from e2e_otel import metrics
from e2e_otel.config import Config
from e2e_otel.stack.dashboards import DashboardQuery, dashboard_queries
from e2e_otel.stack.rules import build_rules, rule_expressions
from tests.stack.conftest import PipelineRun, eventually

# Grafana's built-in and template variables, as Grafana would expand them for the last hour.
_VARIABLES = (
    (re.compile(r"\$__rate_interval\b"), "1m"),
    (re.compile(r"\$__range\b"), "1h"),
    (re.compile(r"\$__interval\b"), "15s"),
    (re.compile(r"\$\{\w+(?::\w+)?\}|\$\w+"), ".*"),
)
ANALYZER_METRICS = tuple(
    value
    for name, value in vars(metrics).items()
    if isinstance(value, str) and value.startswith("e2e_otel_") and name.isupper()
)


def expand(expr: str) -> str:
    for pattern, value in _VARIABLES:
        expr = pattern.sub(value, expr)
    return expr


def fed_by_demo_traffic(query: DashboardQuery) -> bool:
    """Whether the demo shop's traffic alone must make this query return data.

    Not fed: the analyzer's metrics (a later issue produces them), the frontend layer (this
    traffic has no browser; tests/frontend/test_storefront_e2e.py feeds and checks it), and alerts, which fire only when a threshold is crossed for 5 minutes.
    """
    expr = query.expr
    return not (
        any(name in expr for name in ANALYZER_METRICS)
        or 'e2e_layer="frontend"' in expr
        or "ALERTS" in expr
    )


@pytest.fixture(scope="module")
def ready(pipeline_run: PipelineRun) -> PipelineRun:
    """Wait until rates over the span metrics have two samples (the connector flushes
    periodically), so range-vector panels can return data."""
    probe = f"rate({metrics.SPAN_CALLS}[1m]) > 0"
    eventually(lambda: pipeline_run.prometheus.query(probe), "span-metrics rates", timeout=90)
    return pipeline_run


QUERIES = dashboard_queries()


def test_there_are_queries_to_check() -> None:
    assert len(QUERIES) >= 40
    assert {q.dashboard for q in QUERIES} >= {
        "e2e-otel / Overview",
        "e2e-otel / Workflow drill-down",
        "e2e-otel / Database",
        "e2e-otel / Regressions and recommendations",
        "e2e-otel / Service graph",
    }


def test_every_dashboard_query_evaluates(ready: PipelineRun) -> None:
    errors = []
    for query in QUERIES:
        try:
            ready.prometheus.query(expand(query.expr))
        except AssertionError as exc:
            errors.append(f"{query.dashboard} / {query.panel}: {exc}")
    assert not errors, "\n".join(errors)


def test_panels_fed_by_demo_traffic_return_data(ready: PipelineRun) -> None:
    fed = [q for q in QUERIES if fed_by_demo_traffic(q)]
    assert len(fed) >= 30
    empty = [
        f"{q.dashboard} / {q.panel}: {q.expr}"
        for q in fed
        if not ready.prometheus.query(expand(q.expr))
    ]
    assert not empty, "no data for:\n" + "\n".join(empty)


def test_every_rule_expression_evaluates(ready: PipelineRun) -> None:
    expressions = rule_expressions(build_rules(Config()))
    assert len(expressions) >= 10
    for _name, expr in expressions:
        ready.prometheus.query(expr)  # asserts status "success"
    api_p95 = [
        expr
        for name, expr in expressions
        if name.startswith("e2e_otel:api_duration_milliseconds:p95")
    ]
    for expr in api_p95:
        assert ready.prometheus.query(expr), f"no API latency from demo traffic: {expr}"


def test_prometheus_loaded_and_evaluates_our_rules(ready: PipelineRun) -> None:
    def healthy_groups() -> list[dict[str, object]] | None:
        groups = ready.prometheus.get("/api/v1/rules")["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        evaluated = rules and all(rule.get("lastEvaluation", "").startswith("2") for rule in rules)
        return groups if evaluated and not any(r.get("health") != "ok" for r in rules) else None

    groups = eventually(healthy_groups, "every rule evaluated with health ok", timeout=60)
    names = {rule["name"] for group in groups for rule in group["rules"]}  # type: ignore[attr-defined]
    expected = {name for name, _ in rule_expressions(build_rules(Config()))}
    assert expected <= names
