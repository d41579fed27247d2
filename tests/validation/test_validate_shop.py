"""``e2e-otel validate`` against the real demo shop (MariaDB, traced by e2e-otel): what each
check concludes, and that every check is one trace both sides of the wire share."""

from __future__ import annotations

import re

import pytest

from e2e_otel.validation.models import CheckResult, ValidationReport
from tests.validation.harness import Runs

pytestmark = pytest.mark.integration


def _by_name(report: ValidationReport) -> dict[str, CheckResult]:
    return {check.name: check for check in report.checks}


def test_default_plan_reads_every_parameterless_endpoint_and_nothing_else(runs: Runs) -> None:
    checks = _by_name(runs.default)
    assert {c.method for c in checks.values()} == {"GET"}
    assert set(checks) == {
        "GET api/products/",
        "GET api/products/with-reviews/",
        "GET api/cart/ (anonymous)",
        "GET api/orders/ (anonymous)",
        "GET api/reports/pageviews/",
        "GET api/debug/boom/",
        "GET api/admin/stats/ (anonymous)",
    }
    for name in ("GET api/products/", "GET api/products/with-reviews/"):
        assert checks[name].status == "pass", checks[name]
        assert checks[name].status_code == 200
        assert checks[name].url == f"{runs.default.base_url}/{name.split()[1]}"


def test_protected_endpoints_answering_401_to_anonymous_callers_pass(runs: Runs) -> None:
    checks = _by_name(runs.default)
    for name in ("GET api/cart/ (anonymous)", "GET api/orders/ (anonymous)"):
        assert checks[name].status == "pass", checks[name]
        assert checks[name].status_code == 401
        assert checks[name].expected_status == (401, 403)
        assert checks[name].auth == "none"


def test_server_errors_and_unexpected_statuses_fail_with_the_reason(runs: Runs) -> None:
    checks = _by_name(runs.default)
    boom = checks["GET api/debug/boom/"]
    assert boom.status == "fail"
    assert boom.status_code == 500
    assert boom.errors[0].startswith("expected 200, got 500")
    search = checks["GET api/reports/pageviews/"]  # no referrer: the view answers 400
    assert search.status == "fail"
    assert search.errors[0].startswith("expected 200, got 400: ")
    assert "referrer" in search.errors[0]
    assert runs.default.exit_code() == 1


def test_example_file_passes_with_session_jwt_refresh_and_expired_token(runs: Runs) -> None:
    checks = _by_name(runs.example)
    assert [c for c in checks.values() if c.status != "pass"] == []
    logins = [c.name for c in runs.example.checks if c.name.startswith("login: ")]
    assert logins == ["login: jwt obtain", "login: jwt refresh", "login: session"]
    # The protected reads succeed with the refreshed access token.
    assert checks["GET api/cart/ (jwt)"].status_code == 200
    assert checks["GET api/orders/ (jwt)"].status_code == 200
    expired = checks["GET api/cart/ (expired token)"]
    assert (expired.status_code, expired.auth, expired.warnings) == (401, "expired_jwt", ())
    # An unsafe request on the session: 201 only if the CSRF token was echoed.
    assert checks["add to cart (session, CSRF token echoed)"].status_code == 201
    assert checks["add to cart without a product"].status_code == 400
    assert checks["missing product"].status_code == 404
    assert checks["staff statistics as a shopper"].status_code == 403
    assert checks["GET api/products/{pk}/"].url.endswith("/api/products/1/")
    assert "referrer=" in checks["GET api/reports/pageviews/"].url
    assert "GET api/debug/boom/" not in checks
    assert runs.example.exit_code("warning") == 0


def test_a_wrong_expectation_fails_with_what_came_back(runs: Runs) -> None:
    expected, wrong = (c for c in runs.wrong.checks if not c.name.startswith("login: "))
    assert (expected.status, expected.status_code) == ("pass", 400)
    assert (wrong.status, wrong.status_code) == ("fail", 400)
    assert wrong.errors[0].startswith("expected 201, got 400: ")
    assert "product_id" in wrong.errors[0]


def test_a_slow_endpoint_warns_or_fails_against_lowered_thresholds(runs: Runs) -> None:
    (warned,) = runs.slow_warning.checks
    assert (warned.status, warned.status_code, warned.errors) == ("warning", 200, ())
    assert "over the warning 0.001 ms" in warned.warnings[0]
    (failed,) = runs.slow_fail.checks
    assert (failed.status, failed.status_code) == ("fail", 200)
    assert "over the critical 0.002 ms" in failed.errors[0]
    assert runs.slow_warning.exit_code("fail") == 0
    assert runs.slow_warning.exit_code("warning") == 1


def test_every_check_is_a_trace_the_shop_joined_in_workflow_validation(runs: Runs) -> None:
    checks = runs.sent_checks()
    assert len(checks) > 40
    for check in checks:
        server = runs.server_span(check)
        assert server.attributes["e2e.workflow.type"] == "validation", check.name
        assert server.attributes["e2e.workflow.id"] == check.correlation_id, check.name
        assert check.server_joined, check.name


def test_the_shop_classifies_the_expired_token(runs: Runs) -> None:
    expired = _by_name(runs.example)["GET api/cart/ (expired token)"]
    assert runs.server_span(expired).attributes["e2e.error.category"] == "auth_token_expired"
    anonymous = _by_name(runs.example)["GET api/cart/ (anonymous)"]
    assert runs.server_span(anonymous).attributes["e2e.error.category"] == "authentication"


def test_client_spans_go_through_our_processors_and_parent_the_server_span(runs: Runs) -> None:
    client = {f"{s.context.trace_id:032x}": s for s in runs.client_spans}
    for report in runs.reports():
        for check in report.checks:
            if check.status_code is None:
                continue
            span = client[check.trace_id or ""]
            assert span.attributes is not None
            assert span.attributes["e2e.workflow.type"] == "validation"
            assert span.attributes["e2e.layer"] == "external"
            assert span.attributes["http.response.status_code"] == check.status_code
            server = runs.server_span(check)
            assert server.parent_span_id == f"{span.context.span_id:016x}", check.name
    boom = _by_name(runs.default)["GET api/debug/boom/"]
    assert client[boom.trace_id or ""].attributes["e2e.error.category"] == "server_error"  # type: ignore[index]


def test_client_spans_are_named_by_route_template_not_by_raw_path(runs: Runs) -> None:
    # Span names become a span-metric label: one per endpoint and method, never one per id.
    names = {s.name for s in runs.client_spans}
    raw = [name for name in names if re.search(r"/\d+(/|$)", name)]
    assert not raw, raw
    # A check's endpoint template names its span; steps without one (a login) are the bare
    # method, as the semantic conventions name a client span without a template.
    methods = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
    assert all(name in methods or name.split(" ", 1)[0] in methods for name in names), names
    assert "GET /api/products/{pk}/" in names
