from __future__ import annotations

from e2e_otel.analyzers import health
from e2e_otel.config import Threshold
from tests.analyzers.conftest import Trace, dataset, run, spans_of

API = Threshold(200, 500)


def _entries(durations: list[float], failed: int = 0) -> list[Trace]:
    traces = []
    for i, duration in enumerate(durations):
        trace = Trace()
        trace.request(duration=duration, error=i < failed, workflow="checkout")
        traces.append(trace)
    return traces


def _score(traces: list[Trace]) -> tuple[int, float]:
    return health.score(dataset(spans_of(traces)).entries, API, critical_ratio=0.20)


def test_formula() -> None:
    assert _score(_entries([10] * 4)) == (100, 1.0)
    assert _score(_entries([10, 10, 300, 300])) == (75, 0.75)  # two tolerating requests
    assert _score(_entries([10, 10, 10, 900])) == (75, 0.75)  # one frustrated
    # One failure in four: apdex 0.75 and error factor 1 - 0.25 / 0.4.
    assert _score(_entries([10] * 4, failed=1)) == (28, 0.75)
    assert _score(_entries([10] * 4, failed=2)) == (0, 0.5)
    assert _score([]) == (100, 1.0)


def test_rows_per_service_workflow_and_frontend_service() -> None:
    traces = _entries([10, 300])
    page = Trace()
    page.page("/products", duration=50)
    (section,) = run(health.analyze, [*traces, page]).sections
    rows = {(row[0], row[1]): row[2:] for row in section.rows}
    assert rows == {
        ("frontend service", "shop-web"): (100, 1, 1.0, 0.0, 50.0),
        ("service", "shop-api"): (75, 2, 0.75, 0.0, 300.0),
        ("workflow", "checkout"): (75, 2, 0.75, 0.0, 300.0),
    }
