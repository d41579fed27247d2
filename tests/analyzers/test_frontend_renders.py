"""Slow renders by component: p95 of ``render <component>`` against thresholds.frontend."""

from __future__ import annotations

from e2e_otel.analyzers import frontend_renders
from e2e_otel.config import parse_config
from tests.analyzers.browser import render
from tests.analyzers.conftest import Trace, config, only, run


def _renders(component: str, *durations: float) -> list[Trace]:
    traces = []
    for duration in durations:
        trace = Trace()
        render(trace, component, duration=duration)
        traces.append(trace)
    return traces


def test_a_component_over_the_frontend_threshold_at_p95_is_a_finding() -> None:
    traces = _renders("ProductGrid", 2, 170, 175) + _renders("Header", 1, 3)
    result = run(frontend_renders.analyze, traces)
    rec = only(result.recommendations)
    assert (rec.rule, rec.category, rec.priority) == ("slow_render", "frontend", "medium")
    assert rec.title == "Component ProductGrid renders slowly: p95 175 ms"
    assert rec.evidence.figures["renders"] == 3
    assert rec.evidence.trace_ids == (traces[2].trace_id, traces[1].trace_id, traces[0].trace_id)
    assert rec.expected_improvement_ms == 75
    assert any("React DevTools" in step for step in rec.steps)
    assert any("useMemo" in step for step in rec.steps)
    assert any("Virtualize" in step for step in rec.steps)
    (section,) = result.sections
    assert [row[:3] for row in section.rows] == [
        ("shop-web", "ProductGrid", 3),
        ("shop-web", "Header", 2),
    ]


def test_over_the_critical_threshold_is_high_and_the_threshold_is_configured() -> None:
    traces = _renders("ProductGrid", 350)
    assert only(run(frontend_renders.analyze, traces).recommendations).priority == "high"
    lenient = parse_config({"thresholds": {"frontend": {"warning_ms": 400, "critical_ms": 800}}})
    assert run(frontend_renders.analyze, traces, lenient).recommendations == ()


def test_a_component_needs_min_renders() -> None:
    cfg = config(slow_renders={"min_renders": 2})
    assert run(frontend_renders.analyze, _renders("ProductGrid", 250), cfg).recommendations == ()
