from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.trace import SpanKind, set_span_in_context

from e2e_otel.config import Config, parse_config
from e2e_otel.testing import TraceAssertionError
from e2e_otel.testing.trace import Trace
from tests.conftest import Pipeline, make_pipeline
from tests.testing.spans import MS, T0, captured, n_plus_one, request, trace_of


@pytest.fixture
def pipe() -> Iterator[Pipeline]:
    p = make_pipeline()
    yield p
    p.provider.shutdown()


def test_captured_spans_carry_the_exported_attributes(pipe: Pipeline) -> None:
    request(pipe, "api/things/", ["SELECT * FROM thing WHERE id = 7"])
    server, query = captured(pipe)
    assert server.attr("e2e.layer") == "api"
    assert query.attr("e2e.layer") == "database"
    assert query.attr("e2e.workflow.type") == "things"  # inherited from the request span
    assert query.attr("e2e.db.fingerprint") == "select * from thing where id = ?"
    assert query.attr("db.statement") == "SELECT * FROM thing WHERE id = ?"  # redacted
    assert query.parent_span_id == server.span_id


def test_assert_complete_names_the_missing_layer(pipe: Pipeline) -> None:
    request(pipe, "api/things/")
    trace = trace_of(pipe)
    assert trace.assert_complete(layers={"api"}) is trace
    with pytest.raises(TraceAssertionError) as failed:
        trace.assert_complete(layers={"api", "database"})
    message = str(failed.value)
    assert f"trace {trace.trace_ids[0]} has no database span" in message
    assert "[api] GET api/things/" in message


def test_assert_complete_finds_spans_whose_parent_never_ended(pipe: Pipeline) -> None:
    tracer = pipe.provider.get_tracer("opentelemetry.instrumentation.django")
    with tracer.start_as_current_span("GET api/things/", kind=SpanKind.SERVER):
        never_ended = tracer.start_span("load")
        with tracer.start_as_current_span("render", context=set_span_in_context(never_ended)):
            pass
    trace = Trace(captured(pipe), "t", parse_config({}))
    with pytest.raises(TraceAssertionError) as failed:
        trace.assert_complete(layers={"api"})
    assert "1 span(s) whose parent span was never exported" in str(failed.value)
    assert ">>   [internal] render" in str(failed.value)
    assert [s.name for s in failed.value.spans] == ["render"]


def test_assert_max_queries_counts_by_statement_and_marks_every_query(pipe: Pipeline) -> None:
    request(pipe, "api/things/", ["SELECT 1", "SELECT 2", "UPDATE thing SET n = 3"])
    trace = trace_of(pipe)
    trace.assert_max_queries(3)
    with pytest.raises(TraceAssertionError) as failed:
        trace.assert_max_queries(2)
    message = str(failed.value)
    assert "ran 3 queries, 1 over the limit" in message
    assert "2 x select ?" in message and "1 x update thing set n = ?" in message
    marked = [line for line in message.splitlines() if line.startswith(">> ")]
    assert len(marked) == 3 and marked[2].endswith("<- query 3")
    assert failed.value.spans == trace.queries


def test_n_plus_one_failure_explains_the_loop_and_marks_it(pipe: Pipeline) -> None:
    request(pipe, "api/things/", n_plus_one(8))
    with pytest.raises(TraceAssertionError) as failed:
        trace_of(pipe).assert_no_n_plus_one()
    message = str(failed.value)
    assert "N+1 queries in GET api/things/: 8 x SELECT part per request" in message
    assert "one query per row of `select id from thing`" in message
    assert "prefetch_related()" in message  # the analyzer's steps to fix it
    looped = [line for line in message.splitlines() if line.startswith(">> ")]
    assert "select * from part where thing_id = ?" in looped[0] and "<- loop 1 of 8" in looped[0]
    assert any("... 5 more like the line above" in line for line in looped)  # folded
    assert not any("select id from thing" in line for line in looped)
    assert len(failed.value.spans) == 8


def test_n_plus_one_uses_the_analyzer_rule_and_its_settings(pipe: Pipeline) -> None:
    request(pipe, "api/things/", n_plus_one(8))
    relaxed = parse_config({"analyzers": {"n_plus_one": {"min_repeats": 9}}})
    trace_of(pipe, relaxed).assert_no_n_plus_one()
    pipe.exporter.clear()
    request(pipe, "api/things/", n_plus_one(4))  # under the default 5 repeats
    trace_of(pipe).assert_no_n_plus_one()


def test_p95_is_the_nearest_rank_of_the_layer_durations(pipe: Pipeline) -> None:
    for n in range(1, 21):  # 10, 20, ... 200 ms: the p95 of 20 is the 19th, 190 ms
        request(pipe, "api/things/", start=T0 + n * 1000 * MS, duration_ms=10.0 * n)
    trace = trace_of(pipe)
    trace.assert_p95(layer="api", under_ms=191)
    with pytest.raises(TraceAssertionError) as failed:
        trace.assert_p95(layer="api", under_ms=185)
    message = str(failed.value)
    assert "p95 of 20 api span(s) in workflow 'things' is 190.0 ms" in message
    assert message.count("<- over 185 ms") == 2  # the 190 and 200 ms requests
    with pytest.raises(TraceAssertionError, match="has no database span"):
        trace.assert_p95(layer="database", under_ms=1)


def test_errors_are_listed_with_their_category(pipe: Pipeline) -> None:
    request(pipe, "api/things/", correlation_id="ok")
    trace_of(pipe).assert_no_errors()
    request(pipe, "api/missing/", status=404, correlation_id="nf")
    trace = trace_of(pipe)
    trace.assert_error(category="not_found")
    with pytest.raises(TraceAssertionError) as failed:
        trace.assert_no_errors()
    assert "1 failed span(s) in workflow 'things' (not_found: 1)" in str(failed.value)
    assert ">>   [api] GET api/missing/" in str(failed.value)
    with pytest.raises(TraceAssertionError) as other:
        trace.assert_error(category="authentication")
    assert "categories seen: not_found" in str(other.value)


def test_exceptions_are_quoted_in_the_error_message(pipe: Pipeline) -> None:
    tracer = pipe.provider.get_tracer("opentelemetry.instrumentation.django")
    with (
        pytest.raises(RuntimeError),
        tracer.start_as_current_span("GET api/boom/", kind=SpanKind.SERVER),
    ):
        raise RuntimeError("boom: deliberate")
    with pytest.raises(TraceAssertionError) as failed:
        trace_of(pipe).assert_no_errors()
    assert "GET api/boom/: RuntimeError: boom: deliberate" in str(failed.value)
    assert "server_error" in str(failed.value)


def test_unknown_layers_and_categories_are_refused(pipe: Pipeline) -> None:
    trace = trace_of(pipe)
    with pytest.raises(ValueError, match="unknown layer"):
        trace.assert_complete(layers={"api", "db"})
    with pytest.raises(ValueError, match="unknown error category 'auth'"):
        trace.assert_error(category="auth")


def test_nothing_captured_is_never_complete() -> None:
    empty = Trace((), "the test's spans", Config())
    with pytest.raises(TraceAssertionError, match="no spans were captured"):
        empty.assert_complete(layers={"api"})
