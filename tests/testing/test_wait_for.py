"""Spans from other processes (a browser page) join the test's own through the session's OTLP
receiver, and ``e2e_trace.wait_for`` waits for them: pytest runs in a subprocess, the page is
played by posts to the receiver from the ``flush`` callback."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

# The API's request as Django and PyMySQL's instrumentations make it in the test process, child
# of the page's fetch span; the page's two spans as the browser package exports them.
BROWSER = """
import json
import urllib.request

from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
ROOT, FETCH = "00f067aa0ba902b7", "b7ad6b7169203331"
NOW = 1_750_000_000_000_000_000


def api_request():
    parent = NonRecordingSpan(
        SpanContext(int(TRACE, 16), int(FETCH, 16), is_remote=True, trace_flags=TraceFlags(1))
    )
    context = trace.set_span_in_context(parent)
    server = trace.get_tracer("opentelemetry.instrumentation.django")
    db = trace.get_tracer("opentelemetry.instrumentation.pymysql")
    attributes = {
        "e2e.workflow.type": "cart_update",
        "e2e.workflow.id": "c-1",
        "http.route": "api/cart/items/",
        "http.request.method": "POST",
    }
    with server.start_as_current_span(
        "POST api/cart/items/", context=context, kind=SpanKind.SERVER, attributes=attributes
    ):
        with db.start_as_current_span(
            "INSERT", kind=SpanKind.CLIENT,
            attributes={"db.system": "mysql", "db.statement": "INSERT INTO cart VALUES (1)"},
        ):
            pass


def page_span(span_id, parent, name, kind):
    attributes = [
        {"key": key, "value": {"stringValue": value}}
        for key, value in [
            ("e2e.layer", "frontend"),
            ("e2e.workflow.type", "cart_update"),
            ("e2e.workflow.id", "c-1"),
        ]
    ]
    return {
        "traceId": TRACE, "spanId": span_id, "parentSpanId": parent, "name": name,
        "kind": kind, "startTimeUnixNano": str(NOW), "endTimeUnixNano": str(NOW + 10**8),
        "attributes": attributes,
    }


def export(receiver, *spans, body=None):
    document = {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop-web"}}]},
        "scopeSpans": [{"scope": {"name": "@e2e-otel/web"}, "spans": list(spans)}],
    }]}
    request = urllib.request.Request(
        receiver.traces_url, data=body or json.dumps(document).encode(), method="POST",
        headers={"Content-Type": "application/json", "Origin": "http://127.0.0.1:3000"},
    )
    try:
        urllib.request.urlopen(request, timeout=30).close()
    except urllib.error.HTTPError:
        pass


class Page:
    # Each flush exports what the page has finished by then: the workflow span first, the
    # fetch span (ended once the browser's resource timing is in) one flush later.
    def __init__(self, receiver, batches):
        self.receiver, self.batches, self.flushes = receiver, list(batches), 0

    def flush(self):
        self.flushes += 1
        if self.batches:
            export(self.receiver, *self.batches.pop(0))
"""


def test_wait_for_returns_the_trace_once_every_span_of_it_arrived(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        BROWSER
        + """
def test_one_trace_from_the_page_to_the_sql(e2e_otlp_receiver, e2e_trace):
    api_request()
    page = Page(e2e_otlp_receiver, [
        [page_span(ROOT, "", "workflow cart_update", 1)],
        [page_span(FETCH, ROOT, "POST", 3)],
    ])
    layers = {"frontend", "api", "database"}
    cart = e2e_trace.wait_for(correlation_id="c-1", layers=layers, flush=page.flush)
    assert page.flushes == 2  # the server span's parent had not arrived after the first
    cart.assert_complete(layers=layers).assert_no_errors()
    assert cart.trace_ids == (TRACE,)
    assert [s.name for s in cart.spans] == [
        "workflow cart_update", "POST", "POST api/cart/items/", "INSERT"
    ]
    assert e2e_trace.workflow("cart_update").spans == cart.spans
    e2e_trace.clear()  # the received spans too
    assert e2e_trace.spans == ()


def test_each_test_starts_with_no_received_span(e2e_otlp_receiver, e2e_trace):
    export(e2e_otlp_receiver, page_span(ROOT, "", "workflow cart_update", 1))
    assert [s.name for s in e2e_trace.spans] == ["workflow cart_update"]


def test_and_the_next_test_too(e2e_otlp_receiver, e2e_trace):
    assert e2e_trace.spans == ()
"""
    )
    pytester.runpytest_subprocess("-p", "e2e_otel.testing").assert_outcomes(passed=3)


def test_wait_for_fails_with_what_arrived_and_what_the_receiver_refused(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        BROWSER
        + """
def test_the_fetch_span_never_comes(e2e_otlp_receiver, e2e_trace):
    api_request()
    export(e2e_otlp_receiver, body=b"{truncated")
    page = Page(e2e_otlp_receiver, [[page_span(ROOT, "", "workflow cart_update", 1)]])
    e2e_trace.wait_for(
        correlation_id="c-1", layers={"frontend", "api"}, flush=page.flush, timeout=0.5
    )


def test_nothing_comes(e2e_otlp_receiver, e2e_trace):
    e2e_trace.wait_for(workflow="checkout", layers={"frontend"}, timeout=0.2)
"""
    )
    result = pytester.runpytest_subprocess("-p", "e2e_otel.testing")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert (
        "wait_for(correlation_id='c-1', layers=['api', 'frontend']): after 0.5 s, correlation id 'c-1' "
        "has 1 span(s) whose parent span never arrived" in out
    )
    assert "The OTLP receiver could not read:" in out
    assert "POST /v1/traces from http://127.0.0.1:3000 (request 1): body is not JSON" in out
    (marked,) = [line for line in out.splitlines() if line.startswith("E       >>")]
    assert "[api] POST api/cart/items/" in marked
    assert marked.endswith("<- parent not arrived")
    assert (
        "wait_for(workflow='checkout', layers=['frontend']): no span of workflow 'checkout'" in out
    )
