from __future__ import annotations

from e2e_otel.analyzers import n_plus_one
from e2e_otel.analyzers.models import finding_id
from e2e_otel.sql.fingerprint import fingerprint_id
from tests.analyzers.conftest import PRODUCTS, REVIEWS, Trace, config, only, run

ROUTE = "api/products/with-reviews/"


def _n_plus_one(repeats: int = 6, each: float = 10.0, route: str = ROUTE) -> Trace:
    trace = Trace()
    server = trace.request(route, workflow="product_reviews", duration=100)
    trace.query(server, PRODUCTS, start=0.5, duration=2)  # the source query
    trace.loop(server, REVIEWS, repeats, start=3, duration=each)
    return trace


def test_loop_after_a_source_query_is_n_plus_one() -> None:
    finding = only(run(n_plus_one.analyze, [_n_plus_one()]).recommendations)
    assert finding.id == finding_id("n_plus_one", "shop-api", "GET", ROUTE, fingerprint_id(REVIEWS))
    assert finding.title == f"N+1 queries in GET {ROUTE}: 6 x SELECT shop_review per request"
    assert finding.evidence.route == ROUTE and finding.evidence.workflow == "product_reviews"
    assert finding.evidence.fingerprint_id == fingerprint_id(REVIEWS)
    figures = finding.evidence.figures
    assert figures["avg_repeats"] == 6 and figures["share_of_requests_pct"] == 100.0
    assert figures["avg_loop_ms"] == 60.0
    # Batching keeps one representative query: 60 ms - 10 ms.
    assert finding.expected_improvement_ms == 50.0
    assert finding.expected_improvement_pct == 50.0  # of the 100 ms request
    assert finding.priority == "high"
    assert "prefetch_related" in " ".join(finding.steps)


def test_share_of_requests_and_averages_per_endpoint() -> None:
    plain = []
    for _ in range(2):
        trace = Trace()
        server = trace.request(ROUTE, workflow="product_reviews")
        trace.query(server, PRODUCTS, start=0, duration=1)
        plain.append(trace)
    result = run(n_plus_one.analyze, [_n_plus_one(6), _n_plus_one(10), *plain])
    finding = only(result.recommendations)
    assert finding.evidence.figures["share_of_requests_pct"] == 50.0
    assert finding.evidence.figures["avg_repeats"] == 8
    assert finding.evidence.figures["max_repeats"] == 10
    assert finding.priority == "high"
    (row,) = result.sections[0].rows
    assert row[0] == f"GET {ROUTE}" and row[3] == 2 and row[4] == 50.0


def test_a_single_batched_query_is_not_n_plus_one() -> None:
    trace = Trace()
    server = trace.request(ROUTE)
    trace.query(server, PRODUCTS, start=0, duration=2)
    in_list = "SELECT `shop_review`.`id` FROM `shop_review` WHERE `product_id` IN (%s, %s, %s)"
    trace.query(server, in_list, start=3, duration=60)
    assert run(n_plus_one.analyze, [trace]).recommendations == ()


def test_a_loop_of_distinct_statements_is_not_n_plus_one() -> None:
    trace = Trace()
    server = trace.request(ROUTE)
    trace.query(server, PRODUCTS, start=0, duration=2)
    for i in range(8):
        trace.query(server, f"SELECT c{i} FROM t{i} WHERE id = %s", start=3 + i * 11, duration=10)
    assert run(n_plus_one.analyze, [trace]).recommendations == ()


def test_overlapping_spans_are_parallel_not_a_loop() -> None:
    trace = Trace()
    server = trace.request(ROUTE)
    trace.query(server, PRODUCTS, start=0, duration=2)
    for i in range(8):
        trace.query(server, REVIEWS, start=3 + i * 2, duration=10)  # each overlaps the next
    assert run(n_plus_one.analyze, [trace]).recommendations == ()


def test_too_few_repeats_no_source_or_different_parents_are_not_n_plus_one() -> None:
    assert run(n_plus_one.analyze, [_n_plus_one(repeats=4)]).recommendations == ()
    no_source = Trace()
    server = no_source.request(ROUTE)
    no_source.loop(server, REVIEWS, 8, start=0, duration=10)
    spread = Trace()
    server = spread.request(ROUTE)
    spread.query(server, PRODUCTS, start=0, duration=1)
    for i in range(8):
        middle = spread.internal(server, f"item {i}", start=2 + i * 11, duration=10.5)
        spread.query(middle, REVIEWS, start=2 + i * 11, duration=10)
    assert run(n_plus_one.analyze, [no_source, spread]).recommendations == ()


def test_thresholds_are_configurable() -> None:
    cfg = config(n_plus_one={"min_repeats": 3})
    finding = only(run(n_plus_one.analyze, [_n_plus_one(repeats=3, each=1.0)], cfg).recommendations)
    assert finding.evidence.figures["avg_repeats"] == 3


def test_loop_outside_any_request() -> None:
    trace = Trace()
    trace.query(None, PRODUCTS, start=0, duration=1)
    for i in range(6):
        trace.query(None, REVIEWS, start=2 + i * 11, duration=10)
    finding = only(run(n_plus_one.analyze, [trace]).recommendations)
    assert finding.evidence.route is None and finding.priority == "medium"
    assert "share_of_requests_pct" not in finding.evidence.figures


TAGS = (
    "SELECT `shop_tag`.`id`, `shop_tag`.`name` FROM `shop_tag` INNER JOIN `shop_product_tags` "
    "ON (`shop_tag`.`id` = `shop_product_tags`.`tag_id`) WHERE `shop_product_tags`.`product_id` = %s"
)
CATEGORY = "SELECT `shop_category`.`id` FROM `shop_category` WHERE `shop_category`.`id` = %s"


def _fast_list(rows: int, start: float = 0.0) -> Trace:
    """A list endpoint on a local database: the page query, then per row its tags and its
    category (a serializer with two relations, no prefetch_related), 0.2 ms each."""
    trace = Trace()
    server = trace.request("api/products/", start=start, duration=20)
    trace.query(server, PRODUCTS, start=start + 0.5, duration=0.5)
    at = start + 1.1
    for _ in range(rows):
        trace.query(server, TAGS, start=at, duration=0.2)
        trace.query(server, CATEGORY, start=at + 0.25, duration=0.2)
        at += 0.5
    return trace


def _refused(route: str = "api/products/") -> Trace:
    """A 403 before the handler: the session lookup ran, the list did not."""
    trace = Trace()
    server = trace.request(route, status_code=403, category="permission", duration=3)
    trace.query(
        server,
        "SELECT `django_session`.`session_data` FROM `django_session`",
        start=1,
        duration=0.3,
    )
    return trace


def test_a_fast_loop_is_found_by_its_count_and_403s_do_not_dilute_it() -> None:
    # Each loop totals 1-7 ms: far under the 50 ms a timed rule needs, as on a local database.
    traces = [_fast_list(rows) for rows in (4, 12, 33)] + [_refused() for _ in range(60)]
    result = run(n_plus_one.analyze, traces)
    tags = [r for r in result.recommendations if r.evidence.fingerprint_id == fingerprint_id(TAGS)]
    finding = only(tags)
    # Interleaved with the category query, and 4 rows is below the count: 2 of the 3 lists.
    assert finding.evidence.figures["requests_affected"] == 2
    assert finding.evidence.figures["requests"] == 3  # the 403s never ran the handler
    assert finding.evidence.figures["share_of_requests_pct"] == 66.67
    assert finding.evidence.figures["max_repeats"] == 33
    assert "2 of 3 requests that ran the handler" in finding.description
    assert finding.priority == "medium"  # fast here: not high, yet not buried as low
    assert {r.evidence.fingerprint_id for r in result.recommendations} == {
        fingerprint_id(TAGS),
        fingerprint_id(CATEGORY),
    }


def test_loops_rank_by_their_total_time() -> None:
    slow = _n_plus_one(repeats=5, each=10.0)  # 50 ms in all, 40 ms saving
    fast_many = _fast_list(40)  # 40 x 0.2 ms per statement
    result = run(n_plus_one.analyze, [fast_many, slow])
    routes = [row[0] for row in result.sections[0].rows]
    assert routes[0] == f"GET {ROUTE}"


def test_a_loop_with_millisecond_start_times_is_found_and_real_overlap_is_not() -> None:
    """OpenTelemetry JS (mysql2, pg) truncates a span's start to the millisecond but not its end:
    a loop of sub-millisecond queries then has several spans starting in one millisecond, each
    "ending" after the next one's start."""
    trace = Trace()
    server = trace.request("/api/orders", duration=20)
    trace.query(server, PRODUCTS, start=0, duration=1.09)
    for i in range(10):  # two per millisecond: starts 1, 1, 2, 2, ... ms; ends 0.3 ms later
        trace.query(server, REVIEWS, start=1 + i // 2, duration=0.3 + i * 0.001)
    finding = only(run(n_plus_one.analyze, [trace]).recommendations)
    assert finding.evidence.figures["avg_repeats"] == 10
    parallel = Trace()
    server = parallel.request("/api/orders", duration=20)
    parallel.query(server, PRODUCTS, start=0, duration=1)
    for i in range(10):  # whole-millisecond starts, but each runs 3 ms: concurrent
        parallel.query(server, REVIEWS, start=1 + i // 2, duration=3)
    assert run(n_plus_one.analyze, [parallel]).recommendations == ()
