"""Web vitals by page: p75 against Google's good / needs-improvement thresholds."""

from __future__ import annotations

import pytest

from e2e_otel.analyzers import frontend_vitals
from e2e_otel.analyzers.frontend_spans import UNKNOWN_PAGE
from e2e_otel.analyzers.frontend_vitals import VITALS, rating
from tests.analyzers.browser import page_load, vital
from tests.analyzers.conftest import Trace, run


def _loads(path: str, name: str, *values: float) -> list[Trace]:
    """One page load of ``path`` per value, each reporting ``name`` (in its own trace, later)."""
    traces = []
    for i, value in enumerate(values):
        load, report = Trace(), Trace()
        page_load(load, path, start=i * 10_000)
        vital(report, name, value, start=i * 10_000 + 5_000)
        traces += [load, report]
    return traces


def test_a_poor_p75_is_high_and_names_the_page_of_the_document_load() -> None:
    traces = _loads("/products/12", "LCP", 1000, 4200, 4500, 5000)
    result = run(frontend_vitals.analyze, traces)
    (rec,) = result.recommendations
    assert (rec.rule, rec.category, rec.priority) == ("slow_web_vital", "frontend", "high")
    assert rec.title == "LCP of page /products/{id} is poor: p75 4500 ms"
    assert rec.expected_improvement_ms == 2000
    assert rec.evidence.figures["samples"] == 4
    assert rec.evidence.trace_ids[0] == traces[7].trace_id  # the worst value first
    assert any("preload" in step for step in rec.steps)
    assert result.sections[0].rows == (
        ("shop-web", "/products/{id}", "LCP", 4, 4.5e3, "ms", "poor"),
    )


def test_needs_improvement_is_low_good_is_no_finding() -> None:
    inp = run(frontend_vitals.analyze, _loads("/cart", "INP", 250, 300))
    assert [r.priority for r in inp.recommendations] == ["low"]
    assert "needs improvement" in inp.recommendations[0].title
    cls = run(frontend_vitals.analyze, _loads("/cart", "CLS", 0.01, 0.05))
    assert cls.recommendations == ()
    assert cls.sections[0].rows[0][4:] == (0.05, "score", "good")


def test_the_url_path_of_the_vital_wins_and_without_a_page_it_is_unknown() -> None:
    trace = Trace()
    vital(trace, "TTFB", 2000, path="/checkout")
    vital(trace, "FCP", 100)
    rows = run(frontend_vitals.analyze, [trace]).sections[0].rows
    assert [(row[1], row[2], row[6]) for row in rows] == [
        (UNKNOWN_PAGE, "FCP", "good"),
        ("/checkout", "TTFB", "poor"),
    ]


@pytest.mark.parametrize(
    ("name", "good", "poor"),
    [
        ("LCP", 2500, 4000),
        ("INP", 200, 500),
        ("CLS", 0.1, 0.25),
        ("FCP", 1800, 3000),
        ("TTFB", 800, 1800),
    ],
)
def test_google_thresholds(name: str, good: float, poor: float) -> None:
    assert rating(VITALS[name], good) == "good"
    assert rating(VITALS[name], good * 1.01) == "needs-improvement"
    assert rating(VITALS[name], poor) == "needs-improvement"
    assert rating(VITALS[name], poor * 1.01) == "poor"
