from __future__ import annotations

from e2e_otel.analyzers import error_hotspots
from e2e_otel.analyzers.models import Recommendation, finding_id
from e2e_otel.sql.fingerprint import fingerprint_id
from tests.analyzers.browser import fetch, workflow
from tests.analyzers.conftest import PRODUCTS, Trace, run

INSERT = "INSERT INTO `shop_product` (`sku`, `name`) VALUES (%s, %s)"
ROUTE = "api/products/duplicate-sku/"


def _duplicate(failed: bool = True) -> Trace:
    trace = Trace()
    server = trace.request(
        ROUTE,
        method="POST",
        status_code=500 if failed else 201,
        workflow="catalog_admin",
        category="db_integrity" if failed else None,
        error=failed,
    )
    trace.query(server, PRODUCTS, start=0, duration=1)
    trace.query(server, INSERT, start=2, duration=1, category="db_integrity")
    return trace


def _ok(route: str = ROUTE, method: str = "POST") -> Trace:
    trace = Trace()
    trace.request(route, method=method, workflow="catalog_admin")
    return trace


def _findings(traces: list[Trace]) -> list[Recommendation]:
    return list(run(error_hotspots.analyze, traces).recommendations)


def test_integrity_errors_of_an_endpoint_with_the_failing_statement() -> None:
    (finding,) = _findings([_duplicate(), _duplicate(), _ok(), _ok()])
    assert finding.id == finding_id(
        "error_hotspot", "db_integrity", "shop-api", "POST", ROUTE, fingerprint_id(INSERT), ""
    )
    assert finding.category == "database" and finding.priority == "high"
    assert finding.evidence.route == ROUTE and finding.evidence.workflow == "catalog_admin"
    assert finding.evidence.fingerprint_id == fingerprint_id(INSERT)
    assert finding.evidence.figures == {"failures": 2, "requests": 4, "rate_pct": 50.0}
    assert finding.expected_improvement_pct == 50.0
    assert "Validate before writing" in finding.steps[0]
    assert len(finding.evidence.trace_ids) == 2


def test_rate_sets_the_priority_and_client_errors_rank_lower() -> None:
    rare = [_duplicate(), *(_ok() for _ in range(29))]  # 3.3 %: under the 5 % warning ratio
    assert [f.priority for f in _findings(rare)] == ["low"]
    medium = [_duplicate(), *(_ok() for _ in range(9))]  # 10 %
    assert [f.priority for f in _findings(medium)] == ["medium"]
    denied = Trace()
    denied.request("api/admin/stats/", status_code=403, category="permission", workflow="admin")
    (finding,) = _findings([denied])
    assert finding.priority == "medium" and finding.evidence.fingerprint_id is None


def test_handled_database_errors_are_reported_apart() -> None:
    (finding,) = _findings([_duplicate(failed=False), _ok()])
    assert "handled" in finding.title and finding.priority == "medium"
    assert finding.evidence.fingerprint_id == fingerprint_id(INSERT)
    rows = run(error_hotspots.analyze, [_duplicate(failed=False), _duplicate()]).sections[0].rows
    assert sorted(row[7] for row in rows) == [False, True]
    # Backend analysis keeps these without Prometheus' confirmation: it tells them apart.
    assert error_hotspots.is_handled(finding)
    (failed,) = _findings([_duplicate(), _ok()])
    assert not error_hotspots.is_handled(failed)


def test_no_failures_no_findings() -> None:
    assert _findings([_ok(), _ok("api/products/", "GET")]) == []


def test_frontend_categories_on_browser_spans_get_frontend_advice() -> None:
    traces = []
    for kind, category in [
        ("debug", "network_timeout"),
        ("reporting", "response_parse"),
        ("order_history", "auth_token_expired"),
    ]:
        trace = Trace()
        root = workflow(trace, kind, duration=100, category=category)
        fetch(trace, root, "/api/x/", start=1, duration=90, category=category)
        traces.append(trace)
    findings = {r.title.split(" ")[0]: r for r in _findings(traces)}
    assert set(findings) == {"network_timeout", "response_parse", "auth_token_expired"}
    assert {r.category for r in findings.values()} == {"frontend"}
    timeout = findings["network_timeout"]
    assert timeout.evidence.route == "workflow debug"
    assert "browser gave up" in timeout.description
    assert any("AbortSignal.timeout" in step for step in timeout.steps)


def test_a_network_timeout_of_the_api_keeps_the_api_advice() -> None:
    trace = Trace()
    trace.request("api/pay/", category="network_timeout", error=True)
    (rec,) = _findings([trace])
    assert rec.category == "api" and "another service" in rec.description
