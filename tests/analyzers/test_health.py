from __future__ import annotations

from e2e_otel.analyzers import error_hotspots, health
from e2e_otel.analyzers.dataset import durations_ns
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
    entries = dataset(spans_of(traces)).entries
    errors = [entry.error for entry in entries]
    return health.score(durations_ns(entries), errors, API, critical_ratio=0.20)


def test_formula() -> None:
    assert _score(_entries([10] * 4)) == (100, 1.0)
    assert _score(_entries([10, 10, 300, 300])) == (75, 0.75)  # two tolerating requests
    assert _score(_entries([10, 10, 10, 900])) == (75, 0.75)  # one frustrated
    # At the warning threshold: satisfied; at the critical one: tolerating.
    assert _score(_entries([200, 200, 500, 500])) == (75, 0.75)
    assert _score(_entries([200, 501])) == (50, 0.5)
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
        ("frontend service", "shop-web"): (100, 1, 1.0, 0.0, 50.0, 0.0),
        ("service", "shop-api"): (75, 2, 0.75, 0.0, 300.0, 0.0),
        ("workflow", "checkout"): (75, 2, 0.75, 0.0, 300.0, 0.0),
    }


def test_failures_are_server_faults_and_client_errors_are_counted_apart() -> None:
    """Health and the error hotspots agree: a 403 is a client error, not a failure."""
    traces = _entries([10] * 3, failed=1)  # one 5xx (status ERROR)
    for _ in range(6):
        trace = Trace()
        trace.request(status_code=403, category="permission", workflow="checkout")
        traces.append(trace)
    (section,) = run(health.analyze, traces).sections
    row = next(r for r in section.rows if r[0] == "service")
    named = dict(zip(section.columns, row, strict=True))
    assert named["failure_rate_pct"] == 11.11  # 1 of 9
    assert named["client_error_pct"] == 66.67  # 6 of 9
    # The 5xx is categorized while reading (server_error): its own hotspot.
    hotspot, server = run(error_hotspots.analyze, traces).recommendations
    assert server.title.startswith("server_error errors in GET api/products/")
    assert hotspot.title == "permission client errors in GET api/products/: 66.67% of 9"
    assert "refused" in hotspot.description and "failed" not in hotspot.description.split(":")[0]
    assert error_hotspots.is_client_error(hotspot)
