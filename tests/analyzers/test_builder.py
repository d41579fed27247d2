from __future__ import annotations

import pickle
import random
from dataclasses import replace

import pytest

from e2e_otel.analyzers.builder import DatasetBuilder
from e2e_otel.analyzers.dataset import NO_ENTRY, Dataset
from e2e_otel.sources.models import AttributeValue, SpanRecord
from e2e_otel.sql.fingerprint import fingerprint, fingerprint_id
from tests.analyzers.conftest import PRODUCTS, REVIEWS, Trace, dataset, spans_of


def _entry_route_of_queries(ds: Dataset) -> dict[str, str | None]:
    """fingerprint id -> route of the request its spans belong to."""
    result: dict[str, str | None] = {}
    for position in range(ds.db_count):
        entry = ds.db_entry(position)
        route = ds.entries[entry].route if entry != NO_ENTRY else None
        result[ds.text(ds.db_fp[position])] = route
    return result


def test_request_entries_carry_what_the_analyzers_read() -> None:
    trace = Trace()
    trace.request(
        "api/products/duplicate-sku/",
        method="POST",
        duration=25,
        status_code=500,
        workflow="catalog_admin",
        category="db_integrity",
        error=True,
    )
    (entry,) = dataset(trace.spans).entries
    assert entry.endpoint == ("shop-api", "POST", "api/products/duplicate-sku/")
    assert (entry.workflow, entry.workflow_id) == ("catalog_admin", "wf-catalog_admin")
    assert (entry.category, entry.status_code, entry.error) == ("db_integrity", 500, True)
    assert entry.duration_ns == 25_000_000 and entry.kind == "server"


def test_stable_http_status_attribute_is_read_too() -> None:
    trace = Trace()
    server = trace.request()
    attributes = dict(server.attributes)
    attributes["http.response.status_code"] = attributes.pop("http.status_code")
    trace.spans[0] = replace(server, attributes=attributes)
    assert dataset(trace.spans).entries[0].status_code == 200


def test_queries_are_attributed_through_intermediate_spans_in_any_order() -> None:
    trace = Trace()
    server = trace.request("api/products/with-reviews/")
    middleware = trace.internal(server, "auth", start=0.1, duration=5)
    serializer = trace.internal(middleware, "serialize", start=0.2, duration=4)
    trace.query(serializer, REVIEWS, start=0.3, duration=1)
    trace.query(server, PRODUCTS, start=2, duration=1)
    spans = trace.spans
    for seed in range(5):
        shuffled = spans[:]
        random.Random(seed).shuffle(shuffled)
        assert _entry_route_of_queries(dataset(shuffled)) == {
            fingerprint_id(REVIEWS): "api/products/with-reviews/",
            fingerprint_id(PRODUCTS): "api/products/with-reviews/",
        }


def test_query_without_a_request_and_query_under_a_missing_parent() -> None:
    trace = Trace()
    trace.query(None, REVIEWS, start=0, duration=1)  # a management command: no server span
    ghost = Trace()
    server = ghost.request()
    lost = ghost.internal(server, "not exported", start=0, duration=1)
    ghost.query(lost, PRODUCTS, start=0, duration=1)
    spans = [s for s in spans_of([trace, ghost]) if s is not lost]
    assert _entry_route_of_queries(dataset(spans)) == {
        fingerprint_id(REVIEWS): None,
        fingerprint_id(PRODUCTS): None,
    }


def test_driver_span_nested_in_an_orm_span_belongs_to_the_request() -> None:
    trace = Trace()
    server = trace.request("api/cart/")
    outer = trace.query(server, PRODUCTS, start=0, duration=2)
    trace.query(outer, REVIEWS, start=0.5, duration=1)
    ds = dataset(reversed(trace.spans))
    assert set(_entry_route_of_queries(ds).values()) == {"api/cart/"}


def test_fingerprint_computed_when_only_the_statement_was_exported() -> None:
    trace = Trace()
    server = trace.request()
    query = trace.query(server, REVIEWS, start=0, duration=1)
    bare = {"db.system": "mysql", "db.query.text": REVIEWS}  # new semconv name, no e2e.* keys
    trace.spans[1] = replace(query, attributes=bare)
    ds = dataset(trace.spans)
    fp = ds.db_fp[0]
    assert ds.text(fp) == fingerprint_id(REVIEWS)
    assert ds.fingerprint_text(fp) == fingerprint(REVIEWS)


def test_sample_statement_is_the_longest_seen_whatever_the_order() -> None:
    short, long = "SELECT a FROM t WHERE id IN (%s)", "SELECT a FROM t WHERE id IN (%s, %s, %s)"
    trace = Trace()
    server = trace.request()
    trace.query(server, short, start=0, duration=1)
    trace.query(server, long, start=2, duration=1)
    for order in (trace.spans, list(reversed(trace.spans))):
        ds = dataset(order)
        assert ds.fingerprints[ds.db_fp[0]].sample == long


def test_groups_list_queries_in_start_order() -> None:
    trace = Trace()
    server = trace.request()
    for start in (5, 1, 3):
        trace.query(server, f"SELECT {start} FROM t", start=start, duration=0.5)
    ds = dataset(trace.spans)
    ((group, positions),) = list(ds.groups())
    assert [ds.db_start[p] for p in positions] == sorted(ds.db_start)
    assert ds.group_entry[group] == 0


def test_frontend_spans_are_kept_apart_and_browser_fetches_left_out() -> None:
    trace = Trace()
    trace.page("/products", duration=150)
    trace.page("/products", duration=20, kind="client")
    ds = dataset(trace.spans)
    assert [e.route for e in ds.frontend] == ["/products"] and not ds.entries


def test_merged_builders_equal_one_builder_and_survive_pickling() -> None:
    traces = [Trace() for _ in range(4)]
    for trace in traces:
        server = trace.request("api/products/with-reviews/")
        trace.loop(server, REVIEWS, 3, start=1, duration=1)
    spans = spans_of(traces)
    # Split inside traces: a trace's spans land in both halves.
    first, second = DatasetBuilder(), DatasetBuilder()
    for i, span in enumerate(spans):
        (first if i % 2 else second).add(span)
    merged = DatasetBuilder()
    merged.merge(pickle.loads(pickle.dumps(first)))
    merged.merge(pickle.loads(pickle.dumps(second)))
    whole, parts = dataset(spans), merged.finish()
    assert parts.spans == whole.spans == len(spans)
    assert sorted(parts.trace_ids) == sorted(whole.trace_ids)
    assert sorted(e.route for e in parts.entries) == sorted(e.route for e in whole.entries)
    assert _entry_route_of_queries(parts) == _entry_route_of_queries(whole)
    assert sorted(len(p) for _, p in parts.groups()) == sorted(len(p) for _, p in whole.groups())
    assert (parts.start_ns, parts.end_ns) == (whole.start_ns, whole.end_ns)


def test_malformed_span_ids_still_link() -> None:
    trace = Trace()
    server = trace.request()
    query = trace.query(server, REVIEWS, start=0, duration=1)
    odd_server = replace(server, span_id="not-hex-at-all!")
    odd_query = replace(query, parent_span_id="not-hex-at-all!")
    ds = dataset([odd_query, odd_server])
    assert ds.db_entry(0) == 0


def dataset_view(ds: Dataset) -> tuple[object, ...]:
    """Everything the analyzers read, with indexes resolved: equal datasets, equal views."""
    entries = [(ds.trace_ids[e.trace], e.route, e.kind, e.start_ns, e.end_ns) for e in ds.entries]
    frontend = [(ds.trace_ids[e.trace], e.route, e.start_ns) for e in ds.frontend]
    queries = [
        (
            ds.trace_ids[ds.group_trace[ds.db_group[p]]],
            ds.text(ds.db_fp[p]),
            ds.db_start[p],
            ds.db_end[p],
            ds.db_entry(p),
        )
        for p in range(ds.db_count)
    ]
    return (ds.spans, ds.trace_ids, entries, frontend, queries, ds.start_ns, ds.end_ns)


def _traces_with_frontend() -> list[SpanRecord]:
    traces = [Trace() for _ in range(3)]
    for trace in traces:
        page = trace.page("/products", duration=50)
        server = trace.request("api/products/with-reviews/", parent=page)
        trace.loop(server, REVIEWS, 3, start=1, duration=1)
    return spans_of(traces)


def test_a_second_copy_of_a_span_is_refused() -> None:
    spans = _traces_with_frontend()
    builder = DatasetBuilder()
    assert all(builder.add(span) for span in spans)
    late = replace(spans[0], start_ns=spans[0].start_ns - 10**9)  # same ids, other content
    assert not any(builder.add(span) for span in [*spans, late])
    assert dataset_view(builder.finish())[:5] == dataset_view(dataset(spans))[:5]
    assert builder.finish().start_ns == late.start_ns  # duplicates still widen the window


def test_merge_drops_what_an_earlier_builder_holds_and_locates_it() -> None:
    spans = _traces_with_frontend()
    copies = [replace(span, name="copy") for span in spans[1::2]]
    first, second = DatasetBuilder(), DatasetBuilder(track=True)
    for span in spans[::2]:
        first.add(span)
    later = spans[1::2] + copies[:2] + spans[::3]  # new spans, own duplicates, cross duplicates
    added = [span for span in later if second.add(span)]
    merged = DatasetBuilder()
    assert merged.merge(pickle.loads(pickle.dumps(first))) == []
    duplicates = merged.merge(pickle.loads(pickle.dumps(second)))
    assert [added[d.position].span_id for d in duplicates] == [s.span_id for s in spans[::6]]
    assert [(d.trace_id, f"{d.span_bits:016x}") for d in duplicates] == [
        (s.trace_id, s.span_id) for s in spans[::6]
    ]
    one = DatasetBuilder()
    for span in spans[::2] + later:
        one.add(span)
    assert dataset_view(merged.finish()) == dataset_view(one.finish())


@pytest.mark.parametrize("status", ["²", "9" * 5000, "500"])
def test_a_status_code_that_is_no_number_does_not_stop_the_read(status: str) -> None:
    trace = Trace()
    server = trace.request()
    odd = replace(server, attributes={**server.attributes, "http.status_code": status})
    (entry,) = dataset([odd]).entries
    assert entry.status_code == (500 if status == "500" else 0)


@pytest.mark.parametrize("odd", ["zz", "5F0C1E2D3A4B5C6D", "5f0c1e2d3a4b5c6d00", ""])
def test_a_fingerprint_id_that_is_not_ours_is_recomputed_from_the_statement(odd: str) -> None:
    trace = Trace()
    query = trace.query(trace.request(), "SELECT * FROM t WHERE id = 1", start=1, duration=2)
    foreign = replace(query, attributes={**query.attributes, "e2e.db.fingerprint_id": odd})
    ds = dataset([foreign])
    assert set(ds.strings[fp] for fp in ds.fingerprints) == {
        fingerprint_id("SELECT * FROM t WHERE id = 1")
    }


def test_a_pickled_builder_holds_the_same_rows_and_everything_else() -> None:
    # Its lists of named tuples travel as columns: they come back as the same rows, types too.
    trace = Trace()
    server = trace.request(category="validation", status_code=422, error=True)
    trace.query(server, REVIEWS, start=1, duration=2)
    trace.page("/products", duration=150)
    trace.page("/products", duration=20, kind="client")
    builder, empty = DatasetBuilder(track=True), DatasetBuilder()
    for span in trace.spans:
        builder.add(span)
    for original in (builder, empty):
        copy = pickle.loads(pickle.dumps(original, protocol=pickle.HIGHEST_PROTOCOL))
        assert vars(copy) == vars(original)
        for name in ("entries", "frontend", "browser"):
            rows, copied = getattr(original, name), getattr(copy, name)
            assert isinstance(copied, list)
            assert [type(row) for row in copied] == [type(row) for row in rows]
    assert builder.entries and builder.frontend and len(builder.browser) == 2


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"http.response.status_code": 201, "http.status_code": 500}, 201),
        ({"http.response.status_code": "x", "http.status_code": 404}, 404),
        ({"http.response.status_code": True, "http.status_code": "503"}, 503),
        ({"http.status_code": True}, 0),
        ({"http.status_code": 404}, 404),
        ({}, 0),
    ],
)
def test_the_status_code_read_inline_is_the_attribute_rule(
    attributes: dict[str, AttributeValue], expected: int
) -> None:
    trace = Trace()
    server = trace.request()
    plain = {k: v for k, v in server.attributes.items() if k != "http.status_code"}
    (entry,) = dataset([replace(server, attributes={**plain, **attributes})]).entries
    assert entry.status_code == expected


def test_a_known_fingerprint_id_still_takes_the_statement_under_either_name() -> None:
    # The usual database span (its id already seen) reads db.statement inline; an empty or
    # missing one falls back to the full rule, which reads db.query.text.
    trace = Trace()
    server = trace.request()
    short = trace.query(server, "SELECT a FROM t WHERE id = %s", start=1, duration=1)
    long = "SELECT a FROM t   WHERE id = %s"
    for statement in ("", None):
        attributes = {k: v for k, v in short.attributes.items() if k != "db.statement"}
        if statement is not None:
            attributes["db.statement"] = statement
        stable = replace(short, span_id="00000000000000ab", attributes=attributes)
        stable = replace(stable, attributes={**stable.attributes, "db.query.text": long})
        ds = dataset([short, stable])
        assert fingerprint_id(long) == short.attributes["e2e.db.fingerprint_id"]
        assert [ds.fingerprints[fp].sample for fp in set(ds.db_fp)] == [long]
