"""The report as Prometheus metrics: the names and labels dashboards query, valid for promtool."""

from __future__ import annotations

import math
import shutil
import subprocess
from dataclasses import replace
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from e2e_otel import metrics as m
from e2e_otel.analyzers import health, slow_queries
from e2e_otel.analyzers.models import Evidence, Recommendation, Report, Section, finding_id
from e2e_otel.analyzers.series import ERROR_RATE_REGRESSION, LATENCY_REGRESSION
from e2e_otel.publish.prometheus import FINDING_LABELS, ReportCollector, render_exposition
from tests.publish.reports import T0

FP_SLOW = "a1b2c3d4e5f60718"
TRACE_SLOW = "4bf92f3577b34da6a3ce929d0e0e4736"
FP_FAST = "0f1e2d3c4b5a6978"


def finding(
    rule: str,
    *,
    category: str = "api",
    priority: str = "medium",
    figures: dict[str, float] | None = None,
    **evidence: Any,
) -> Recommendation:
    """A finding whose id follows from its rule and evidence, like the analyzers' ids."""
    return Recommendation(
        id=finding_id(rule, *(str(v) for v in evidence.values())),
        rule=rule,
        category=category,  # type: ignore[arg-type]
        priority=priority,  # type: ignore[arg-type]
        title=f"{rule} on " + ", ".join(f"{k}={v}" for k, v in evidence.items()),
        description="",
        steps=(),
        expected_improvement_ms=None,
        expected_improvement_pct=None,
        evidence=Evidence(figures=figures or {}, **evidence),
    )


def regression(rule: str, ratio: float, changed_at: float, **evidence: Any) -> Recommendation:
    """A regression finding carrying the figures of the regressions contract (series.py)."""
    baseline = 0.02 if rule == ERROR_RATE_REGRESSION else 120.0
    figures = {
        "change_ratio": ratio,
        "changed_at_unix_s": changed_at,
        "baseline": baseline,
        "current": baseline * ratio,
        "p_value": 0.001,
    }
    return finding(rule, priority="high", figures=figures, **evidence)


def section(name: str, columns: tuple[str, ...], *rows: dict[str, Any]) -> Section:
    return Section(
        name, name, columns, tuple(tuple(row.get(c, "") for c in columns) for row in rows)
    )


SLOW = finding(
    "slow_queries",
    category="database",
    priority="high",
    service="shop-api",
    workflow="checkout",
    route="api/orders/",
    method="POST",
    fingerprint_id=FP_SLOW,
    trace_ids=(TRACE_SLOW, "00f067aa0ba902b700f067aa0ba902b7"),
)
N_PLUS_ONE = finding("n_plus_one", category="database", fingerprint_id=FP_FAST, workflow="browse")
LATENCY = regression(
    LATENCY_REGRESSION, 2.5, 1_715_000_000.0, service="shop-api", route="api/orders/", method="POST"
)
ERRORS = regression(
    ERROR_RATE_REGRESSION,
    4.0,
    1_715_000_600.0,
    service="shop-api",
    route="api/orders/",
    method="POST",
)
WORKFLOW = regression(LATENCY_REGRESSION, 1.6, 1_715_001_200.0, workflow="checkout")


def findings_report(*recommendations: Recommendation, **overrides: Any) -> Report:
    """A report with findings, a slow-query profile and health scores, as the analyzers
    shape them (default: every finding above)."""
    profile = section(
        slow_queries.NAME,
        slow_queries.COLUMNS,
        {"rank": 1, "fingerprint_id": FP_SLOW, "p95_ms": 412.5, "calls": 90},
        {"rank": 2, "fingerprint_id": FP_FAST, "p95_ms": 3.25, "calls": 1200},
    )
    scores = section(
        health.NAME,
        health.COLUMNS,
        {"kind": "frontend service", "name": "shop-web", "score": 91},
        {"kind": "service", "name": "shop-api", "score": 64},
        {"kind": "workflow", "name": "checkout", "score": 38},
    )
    report = Report(
        generated_at=T0,
        source="otlp-files: traces.jsonl",
        window_start=T0,
        window_end=T0,
        spans=5000,
        traces=300,
        recommendations=recommendations or (SLOW, N_PLUS_ONE, LATENCY, ERRORS, WORKFLOW),
        sections=(profile, scores),
    )
    return replace(report, **overrides)


def series(text: str, name: str, *labels: str) -> dict[tuple[str, ...], float]:
    """Samples called ``name`` in an exposition, keyed by the values of ``labels``."""
    found: dict[tuple[str, ...], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                key = tuple(sample.labels[label] for label in labels)
                assert key not in found, f"{name}{sample.labels} twice"
                found[key] = sample.value
    return found


def promtool_check(text: str) -> None:
    """``promtool check metrics`` on ``text``: fails with promtool's complaints."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool not found: install it: apt-get install prometheus", pytrace=False)
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    # Exit code 3 is a lint complaint (names, units, help), 1 a parse error: both fail.
    assert result.returncode == 0, result.stdout + result.stderr


def test_exposition_passes_promtool() -> None:
    text = render_exposition(findings_report())
    promtool_check(text)
    assert series(text, m.FINDING_INFO, m.FINDING_ID)  # not vacuously valid


def test_one_finding_info_per_recommendation_with_its_evidence() -> None:
    text = render_exposition(findings_report())
    found = series(text, m.FINDING_INFO, *FINDING_LABELS)
    assert FINDING_LABELS == (
        "id",
        "category",
        "priority",
        "route",
        "workflow",
        "fingerprint_id",
        "title",
        "trace_id",
    )
    # The title, and the first (most telling) example trace for the dashboard's Tempo link.
    slow = (SLOW.id, "database", "high", "api/orders/", "checkout", FP_SLOW, SLOW.title)
    assert found[(*slow, TRACE_SLOW)] == 1.0
    # Absent evidence is an empty label, which `fingerprint_id!=""` selectors rely on.
    n_plus_one = (N_PLUS_ONE.id, "database", "medium", "", "browse", FP_FAST, N_PLUS_ONE.title)
    assert found[(*n_plus_one, "")] == 1.0
    assert found[(WORKFLOW.id, "api", "high", "", "checkout", "", WORKFLOW.title, "")] == 1.0
    assert len(found) == 5


def test_the_title_label_leaves_out_the_figures_so_runs_keep_one_series() -> None:
    # Every run measures a new p95: a title label with it would start a new series each run.
    runs = [
        replace(SLOW, title=f"Slow query SELECT orders: p95 {p95} ms, 40% of database time")
        for p95 in (412.5, 398.1)
    ]
    labels = [
        set(
            series(
                render_exposition(replace(findings_report(), recommendations=(r,))),
                m.FINDING_INFO,
                *FINDING_LABELS,
            )
        )
        for r in runs
    ]
    assert labels[0] == labels[1]
    ((*_, title, _trace),) = labels[0]
    assert title == "Slow query SELECT orders"


def test_a_finding_keeps_its_example_trace_while_later_reports_still_list_it() -> None:
    # Each run ranks a finding's examples anew; a new trace_id label would start a new series.
    collector = ReportCollector()
    registry = CollectorRegistry()
    registry.register(collector)

    def served(*trace_ids: str) -> str:
        evidence = replace(SLOW.evidence, trace_ids=trace_ids)
        collector.set_report(findings_report(replace(SLOW, evidence=evidence)))
        text = generate_latest(registry).decode()
        ((trace_id,),) = series(text, m.FINDING_INFO, m.FINDING_TRACE_ID)
        return trace_id

    a, b, c = "a" * 32, "b" * 32, "c" * 32
    assert served(a, b) == a  # the first report: its most telling example
    assert served(b, a) == a  # still listed, though no longer first: kept
    assert served(c, b) == c  # gone: the new first example
    assert served() == ""  # no example at all
    assert served(b, c) == b
    # A one-off exposition has no previous report: the first example.
    one_off = render_exposition(
        findings_report(replace(SLOW, evidence=replace(SLOW.evidence, trace_ids=(b, a))))
    )
    assert set(series(one_off, m.FINDING_INFO, m.FINDING_TRACE_ID)) == {(b,)}


def test_slow_query_p95_per_fingerprint_from_the_profile() -> None:
    text = render_exposition(findings_report())
    assert series(text, m.SLOW_QUERY_P95, m.FINDING_FINGERPRINT_ID) == {
        (FP_SLOW,): 0.4125,
        (FP_FAST,): 0.00325,
    }


def test_regression_change_ratio_per_regression_finding() -> None:
    text = render_exposition(findings_report())
    labels = (m.REGRESSION_SERVICE, m.REGRESSION_KIND, m.REGRESSION_TARGET, m.REGRESSION_RULE)
    assert series(text, m.REGRESSION_CHANGE_RATIO, *labels) == {
        ("shop-api", "route", "POST api/orders/", LATENCY_REGRESSION): 2.5,
        ("shop-api", "route", "POST api/orders/", ERROR_RATE_REGRESSION): 4.0,
        ("", "workflow", "checkout", LATENCY_REGRESSION): 1.6,
    }


def test_a_regression_from_zero_is_infinite_not_dropped() -> None:
    rose = regression(ERROR_RATE_REGRESSION, math.inf, 1_715_000_000.0, workflow="login")
    text = render_exposition(findings_report(rose))
    assert series(text, m.REGRESSION_CHANGE_RATIO, m.REGRESSION_TARGET) == {("login",): math.inf}
    promtool_check(text)


def test_health_score_of_services_and_workflows() -> None:
    text = render_exposition(findings_report())
    assert series(text, m.HEALTH_SCORE, m.HEALTH_SERVICE, m.HEALTH_WORKFLOW) == {
        ("shop-web", ""): 91,
        ("shop-api", ""): 64,
        ("", "checkout"): 38,
    }


def test_a_service_that_is_api_and_frontend_shows_its_worse_score() -> None:
    report = findings_report()
    scores = section(
        health.NAME,
        health.COLUMNS,
        {"kind": "frontend service", "name": "shop", "score": 90},
        {"kind": "service", "name": "shop", "score": 55},
    )
    text = render_exposition(replace(report, sections=(scores,)))
    assert series(text, m.HEALTH_SCORE, m.HEALTH_SERVICE, m.HEALTH_WORKFLOW) == {("shop", ""): 55}
    promtool_check(text)


def test_completeness_and_span_count_of_the_report() -> None:
    complete = render_exposition(findings_report())
    partial = render_exposition(findings_report(complete=False, problems=("tempo timed out",)))
    assert series(complete, m.ANALYSIS_COMPLETE) == {(): 1.0}
    assert series(partial, m.ANALYSIS_COMPLETE) == {(): 0.0}
    assert series(complete, m.ANALYSIS_SPANS) == {(): 5000}


def test_findings_that_disappear_leave_no_stale_series() -> None:
    collector = ReportCollector(findings_report())
    registry = CollectorRegistry()
    registry.register(collector)
    before = generate_latest(registry).decode()
    assert (LATENCY.id,) in series(before, m.FINDING_INFO, m.FINDING_ID)

    collector.set_report(findings_report(SLOW, sections=()))
    after = generate_latest(registry).decode()
    assert series(after, m.FINDING_INFO, m.FINDING_ID) == {(SLOW.id,): 1.0}
    assert series(after, m.REGRESSION_CHANGE_RATIO) == {}
    assert series(after, m.SLOW_QUERY_P95) == {}
    assert series(after, m.HEALTH_SCORE) == {}


def test_sections_of_another_shape_are_ignored_not_fatal() -> None:
    odd = Section(slow_queries.NAME, "old profile", ("rank", "fingerprint_id"), ((1, FP_SLOW),))
    text = render_exposition(findings_report(SLOW, sections=(odd,)))
    assert series(text, m.SLOW_QUERY_P95) == {}
    promtool_check(text)


def test_nothing_is_exposed_before_the_first_report() -> None:
    registry = CollectorRegistry()
    registry.register(ReportCollector())
    assert generate_latest(registry) == b""
