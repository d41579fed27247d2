from __future__ import annotations

from e2e_otel.analyzers import thresholds
from e2e_otel.analyzers.models import Recommendation, finding_id
from tests.analyzers.conftest import PAGEVIEWS, Trace, run


def _requests(
    route: str, durations: list[float], db: float = 0.0, workflow: str = "reporting"
) -> list[Trace]:
    traces = []
    for duration in durations:
        trace = Trace()
        server = trace.request(route, duration=duration, workflow=workflow)
        if db:
            trace.query(server, PAGEVIEWS, start=1, duration=db)
        traces.append(trace)
    return traces


def _by_rule(traces: list[Trace]) -> dict[str, list[Recommendation]]:
    result = run(thresholds.analyze, traces)
    found: dict[str, list[Recommendation]] = {}
    for r in result.recommendations:
        found.setdefault(r.rule, []).append(r)
    return found


def test_endpoint_and_workflow_over_the_api_threshold() -> None:
    found = _by_rule(_requests("api/reports/pageviews/", [50, 60, 300], db=40))
    (endpoint,) = found["slow_endpoint"]
    assert endpoint.id == finding_id("slow_endpoint", "shop-api", "GET", "api/reports/pageviews/")
    assert endpoint.priority == "medium"
    assert endpoint.expected_improvement_ms == 100.0
    (workflow,) = found["slow_workflow"]
    assert workflow.evidence.workflow == "reporting"
    assert workflow.evidence.figures["workflow_runs"] == 1


def test_critical_and_the_layer_hint() -> None:
    (slow,) = _by_rule(_requests("api/x/", [600], db=550))["slow_endpoint"]
    assert slow.priority == "high"
    assert "database" in slow.steps[0]
    (cpu,) = _by_rule(_requests("api/y/", [600], db=5))["slow_endpoint"]
    assert "application code" in cpu.steps[0]


def test_fast_subjects_only_appear_in_the_table() -> None:
    result = run(thresholds.analyze, _requests("api/x/", [10, 20, 199]))
    assert result.recommendations == ()
    levels = {row[0]: row[-1] for row in result.sections[0].rows}
    assert levels == {"endpoint": "ok", "workflow": "ok"}


def test_frontend_pages_against_the_frontend_threshold() -> None:
    trace = Trace()
    trace.page("/products", duration=150)
    result = run(thresholds.analyze, [trace])
    finding = next(r for r in result.recommendations if r.rule == "slow_frontend")
    assert finding.category == "frontend" and finding.priority == "medium"
    assert finding.evidence.route == "/products" and finding.evidence.service == "shop-web"
