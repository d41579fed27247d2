"""The plugin as a user meets it: pytest runs in a subprocess (the global tracer provider is set
once per process), opting in or not, and what pytest prints when an assertion fails."""

from __future__ import annotations

import pytest

from e2e_otel.testing import NOT_ENABLED

pytest_plugins = ["pytester"]

# Spans as Django and PyMySQL's instrumentations make them, on the global tracer provider.
REQUESTS = """
from opentelemetry import trace
from opentelemetry.trace import SpanKind


def request(route, statements, workflow="things", correlation_id="c-1"):
    server = trace.get_tracer("opentelemetry.instrumentation.django")
    db = trace.get_tracer("opentelemetry.instrumentation.pymysql")
    attributes = {
        "e2e.workflow.type": workflow,
        "e2e.workflow.id": correlation_id,
        "http.route": route,
        "http.request.method": "GET",
    }
    with server.start_as_current_span(f"GET {route}", kind=SpanKind.SERVER, attributes=attributes):
        for statement in statements:
            with db.start_as_current_span("SELECT", kind=SpanKind.CLIENT, attributes={"db.system": "mysql", "db.statement": statement}):
                pass


LOOP = ["SELECT id FROM thing", *(f"SELECT * FROM part WHERE thing_id = {i}" for i in range(8))]
"""


def test_inert_unless_the_project_opts_in(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider

        def test_nothing_is_installed():
            assert not isinstance(trace.get_tracer_provider(), TracerProvider)
            assert "e2e_otel.testing.capture" not in sys.modules
            assert "opentelemetry.instrumentation.django" not in sys.modules

        def test_fixture(e2e_trace):
            pass
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, errors=1)
    assert NOT_ENABLED in result.stdout.lines


@pytest.mark.parametrize("how", ["-p", "ini"])
def test_opted_in_each_test_sees_its_own_enriched_spans(
    pytester: pytest.Pytester, how: str
) -> None:
    pytester.makepyfile(
        REQUESTS
        + """
import pytest


@pytest.fixture
def setup_request():
    request("api/setup/", ["SELECT 1"], workflow="setup")


def test_first(setup_request, e2e_trace):
    request("api/things/<int:pk>/", ["SELECT * FROM thing WHERE id = 7"])
    assert {s.attr("e2e.workflow.type") for s in e2e_trace.spans} == {"things"}
    things = e2e_trace.workflow("things").assert_complete(layers={"api", "database"})
    (query,) = things.queries
    assert query.attr("e2e.db.fingerprint") == "select * from thing where id = ?"
    assert query.attr("db.statement") == "SELECT * FROM thing WHERE id = ?"


def test_second(e2e_trace):
    assert e2e_trace.spans == ()


def test_a_test_without_e2e_trace_records_nothing():
    span = trace.get_tracer("t").start_span("not recorded")
    assert not span.is_recording()
"""
    )
    if how == "ini":
        pytester.makeini("[pytest]\ne2e_otel = true\n")
    result = pytester.runpytest_subprocess(*(["-p", "e2e_otel.testing"] if how == "-p" else []))
    result.assert_outcomes(passed=3)


def test_a_failure_shows_the_marked_tree_and_the_fix_not_our_frames(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        REQUESTS
        + """

def test_loop(e2e_trace):
    request("api/things/", LOOP)
    e2e_trace.workflow("things").assert_no_n_plus_one()
"""
    )
    result = pytester.runpytest_subprocess("-p", "e2e_otel.testing")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "assert_no_n_plus_one() failed: 1 N+1 loop(s) in workflow 'things'" in out
    assert "N+1 queries in GET api/things/: 8 x SELECT part per request" in out
    assert "prefetch_related()" in out  # how to fix it
    assert "workflow things  correlation id c-1" in out
    tree = [line for line in result.stdout.lines if "[database]" in line]
    assert "fp e6692e9ae565e626 select id from thing" in tree[0] and ">>" not in tree[0]
    assert tree[1].startswith("E       >>     [database] SELECT")
    assert tree[1].endswith("select * from part where thing_id = ?  <- loop 1 of 8")
    assert "def _fail" not in out  # pytest points at the test's line


def test_an_unknown_workflow_lists_those_captured(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        REQUESTS
        + """

def test_typo(e2e_trace):
    request("api/things/", [], workflow="checkout")
    e2e_trace.workflow("chekout")
"""
    )
    result = pytester.runpytest_subprocess("-p", "e2e_otel.testing")
    result.stdout.fnmatch_lines(
        ["*no span of workflow 'chekout' was captured in this test*checkout (1 spans)*"]
    )


def test_the_rule_settings_come_from_the_configured_file(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", e2e_otel="analyzers:\n  n_plus_one: {min_repeats: 9}\n")
    pytester.makeini("[pytest]\ne2e_otel = true\ne2e_otel_config = e2e_otel.yaml\n")
    pytester.makepyfile(
        REQUESTS
        + """

def test_eight_repeats_are_allowed(e2e_trace):
    request("api/things/", LOOP)
    e2e_trace.workflow("things").assert_no_n_plus_one()
"""
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_an_app_that_configured_e2e_otel_keeps_its_setup(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import e2e_otel
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        APP_EXPORTER = InMemorySpanExporter()
        e2e_otel.configure(
            config={"analyzers": {"n_plus_one": {"min_repeats": 9}}},
            span_exporter=APP_EXPORTER,
            instrument=False,
            batch=False,
        )
        """
    )
    pytester.makepyfile(
        REQUESTS
        + """
from conftest import APP_EXPORTER


def test_both_exporters_get_the_spans(e2e_trace):
    request("api/things/", LOOP)
    e2e_trace.workflow("things").assert_no_n_plus_one()  # the app's settings
    assert len(APP_EXPORTER.get_finished_spans()) == len(e2e_trace.spans) == 10
"""
    )
    pytester.runpytest_subprocess("-p", "e2e_otel.testing").assert_outcomes(passed=1)


def test_disabled_tracing_fails_the_trace_tests_with_the_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain(): pass\n\ndef test_traced(e2e_trace): pass\n")
    pytester.makeini("[pytest]\ne2e_otel = true\n")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("E2E_OTEL_DISABLED", "true")
        result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, errors=1)
    assert "e2e-otel tracing is disabled (E2E_OTEL_DISABLED is set)" in result.stdout.str()


def test_a_bad_configuration_stops_the_run_naming_the_key(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", e2e_otel="analyzers:\n  n_plus_one: {min_repeats: lots}\n")
    pytester.makeini("[pytest]\ne2e_otel = true\ne2e_otel_config = e2e_otel.yaml\n")
    pytester.makepyfile("def test_plain(): pass\n")
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "analyzers.n_plus_one.min_repeats" in result.stderr.str()


def test_the_apps_exporters_from_the_environment_get_no_test_spans(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Set for the app (a collector, a trace file): the tests' spans stay in the capture, not
    # sent one by one to a collector or written to the app's file.
    traces = pytester.path / "app-traces.jsonl"
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    monkeypatch.setenv("E2E_OTEL_TRACES_FILE", str(traces))
    pytester.makepyfile(
        REQUESTS
        + """
def test_captured(e2e_trace):
    request("api/things/", ["SELECT 1"])
    assert len(e2e_trace.spans) == 2
"""
    )
    result = pytester.runpytest_subprocess("-p", "e2e_otel.testing", "-s")
    result.assert_outcomes(passed=1)
    assert not any('"trace_id"' in line for line in result.stdout.lines)  # console exporter
    assert not traces.exists() or traces.read_text() == ""
