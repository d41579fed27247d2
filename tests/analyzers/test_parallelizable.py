from __future__ import annotations

from e2e_otel.analyzers import parallelizable
from e2e_otel.sql.fingerprint import fingerprint_id
from tests.analyzers.conftest import Trace, config, only, run

ADDRESS = "SELECT line1 FROM shop_address WHERE user_id = %s"
COUPONS = "SELECT code FROM shop_coupon WHERE active = %s"
STOCK = "UPDATE shop_product SET stock = stock - %s WHERE id = %s"


def _checkout(first: str, second: str, *, overlap: bool = False, each: float = 20.0) -> Trace:
    trace = Trace()
    server = trace.request("api/checkout/", method="POST", workflow="checkout", duration=80)
    trace.query(server, first, start=1, duration=each)
    trace.query(server, second, start=1 + (each / 2 if overlap else each + 0.2), duration=each + 10)
    return trace


def test_sequential_independent_reads_could_run_concurrently() -> None:
    result = run(parallelizable.analyze, [_checkout(ADDRESS, COUPONS)])
    finding = only(result.recommendations)
    assert finding.expected_improvement_ms == 20.0  # 20 + 30 - max(20, 30)
    assert finding.expected_improvement_pct == 25.0  # of the 80 ms request
    assert finding.priority == "medium"
    assert finding.evidence.route == "api/checkout/"
    assert finding.evidence.fingerprint_id == fingerprint_id(ADDRESS)
    (row,) = result.sections[0].rows
    assert row[2] == f"{fingerprint_id(ADDRESS)}, {fingerprint_id(COUPONS)}"


def test_overlapping_repeated_writes_and_short_queries_are_left_out() -> None:
    assert (
        run(parallelizable.analyze, [_checkout(ADDRESS, COUPONS, overlap=True)]).sections[0].rows
        == ()
    )
    assert run(parallelizable.analyze, [_checkout(ADDRESS, ADDRESS)]).sections[0].rows == ()
    assert run(parallelizable.analyze, [_checkout(ADDRESS, STOCK)]).sections[0].rows == ()
    assert run(parallelizable.analyze, [_checkout(ADDRESS, COUPONS, each=2)]).sections[0].rows == ()


def test_small_savings_are_listed_but_not_recommended() -> None:
    cfg = config(parallelizable={"min_saving_ms": 25})
    result = run(parallelizable.analyze, [_checkout(ADDRESS, COUPONS)], cfg)
    assert result.recommendations == () and len(result.sections[0].rows) == 1
