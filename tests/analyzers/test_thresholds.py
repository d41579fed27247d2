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
    found = _by_rule(
        _requests("api/reports/pageviews/", [50, 60, 300], db=40)
        + _requests("api/reports/", [250], db=40)
    )
    endpoint, _ = sorted(found["slow_endpoint"], key=lambda r: -len(r.evidence.route or ""))
    assert endpoint.id == finding_id("slow_endpoint", "shop-api", "GET", "api/reports/pageviews/")
    assert endpoint.priority == "medium"
    assert endpoint.expected_improvement_ms == 100.0
    # Every slow request of the workflow went to an endpoint reported slow: one problem, one
    # finding per endpoint, and the workflow stays in the table only.
    assert "slow_workflow" not in found


def test_a_workflow_of_one_endpoint_is_reported_once_as_the_endpoint() -> None:
    result = run(thresholds.analyze, _requests("api/login/", [300, 320], db=5, workflow="login"))
    assert [r.rule for r in result.recommendations] == ["slow_endpoint"]
    assert {row[0] for row in result.sections[0].rows} == {"endpoint", "workflow"}


def test_a_workflow_whose_slow_login_is_its_endpoint_is_not_reported_twice() -> None:
    # Login posts the credentials (slow: password hashing) and then loads the profile (fast).
    traces = _requests("api/auth/login/", [600, 650, 700], workflow="login")
    traces += _requests("api/auth/me/", [15, 20, 25], workflow="login")
    found = _by_rule(traces)
    assert [r.evidence.route for r in found["slow_endpoint"]] == ["api/auth/login/"]
    assert "slow_workflow" not in found


def test_a_workflow_slow_on_an_endpoint_that_is_fast_overall_is_reported() -> None:
    # The export endpoint is fast for the browse workflow that calls it all the time, and slow
    # only when the reporting workflow calls it: the endpoint's p95 is fine, the workflow not.
    traces = _requests("api/export/", [300, 320], workflow="reporting")
    traces += _requests("api/export/", [10] * 40, workflow="browse")
    found = _by_rule(traces)
    assert "slow_endpoint" not in found
    (workflow,) = found["slow_workflow"]
    assert workflow.evidence.workflow == "reporting"


def test_critical_and_the_layer_hint() -> None:
    (slow,) = _by_rule(_requests("api/x/", [600], db=550))["slow_endpoint"]
    assert slow.priority == "high"
    assert "database" in slow.steps[0]
    (cpu,) = _by_rule(_requests("api/y/", [600], db=100))["slow_endpoint"]
    assert "application code" in cpu.steps[0]


def test_a_slow_view_with_almost_no_database_time_points_at_profiling_the_view() -> None:
    # A login: p95 315 ms, 2.6 % in the database (password hashing in the view).
    (login,) = _by_rule(_requests("api/login/", [315, 315], db=8.2))["slow_endpoint"]
    assert "view code" in login.steps[0] and "pyinstrument" in login.steps[0]
    assert "self time" in login.steps[0]
    assert not any("background job" in step or "precompute" in step for step in login.steps)


def test_without_database_spans_the_share_is_not_claimed_to_be_zero() -> None:
    (slow,) = _by_rule(_requests("api/z/", [600]))["slow_endpoint"]
    assert "db_share_pct" not in slow.evidence.figures
    assert "database" not in slow.description
    assert slow.steps[0].startswith("Open the slowest example traces")


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


def _chatty(route: str, queries: int) -> Trace:
    """A 400 ms request whose ``queries`` 1 ms queries leave most of the time outside the
    database (ORM and driver work per query)."""
    trace = Trace()
    server = trace.request(route, duration=400, workflow="browse")
    for i in range(queries):
        trace.query(server, PAGEVIEWS, start=1 + 2 * i, duration=1)
    return trace


def test_many_queries_per_request_point_at_batching_not_at_app_code() -> None:
    (chatty,) = _by_rule([_chatty("api/a/", 40), _chatty("api/a/", 40)])["slow_endpoint"]
    assert chatty.evidence.figures["db_queries_median"] == 40
    assert "40 database queries per request" in chatty.steps[0]
    assert "N+1" in chatty.steps[0]
    # A few queries per request: the time outside the database is the application's own.
    (few,) = _by_rule([_chatty("api/b/", 3)])["slow_endpoint"]
    assert "db_queries_median" not in few.evidence.figures
    assert "view code" in few.steps[0]


def test_browser_renders_and_vitals_are_not_also_slow_pages() -> None:
    from tests.analyzers.browser import render, vital

    trace = Trace()
    render(trace, "ProductGrid", duration=180)
    vital(trace, "LCP", 5000)
    result = run(thresholds.analyze, [trace])
    assert [r for r in result.recommendations if r.rule == "slow_frontend"] == []


def test_a_critical_workflow_is_not_hidden_behind_a_warning_endpoint() -> None:
    # The search endpoint is a little slow for browsing (warning); the export workflow's
    # calls to it take 3 s (critical): the export must still be a finding.
    traces = _requests("api/search/", [250] * 200, workflow="browse")
    traces += _requests("api/search/", [3000] * 5, workflow="export")
    found = _by_rule(traces)
    (endpoint,) = found["slow_endpoint"]
    assert endpoint.priority == "medium"
    assert [w.evidence.workflow for w in found["slow_workflow"]] == ["export"]
    assert found["slow_workflow"][0].priority == "high"
