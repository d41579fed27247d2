"""Seeded synthetic traces for the scale-out tests, sent as OTLP/HTTP JSON.

Four kinds of request traces (a server span and its database client spans), each with one
reason a sampler must or may keep it:

- ``error``: a failed query (status ERROR) -> always kept;
- ``slow``: the request takes 400 ms, over the 200 ms api warning threshold -> always kept;
- ``n_plus_one``: the same SELECT 8 times under one request -> always kept;
- ``client_error``: a 401 (``e2e.error.category``, status unset) -> always kept;
- ``slow_query``: one 80 ms query in a quick request -> always kept;
- ``normal``: 20-120 ms and 1-3 queries -> kept only by the baseline percentage.

Spans of one trace are split across different requests to the gateway (the server span in
one batch, its queries in another, batches shuffled), so only routing by trace id puts a
trace back together on one sampler.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

SERVER, CLIENT = 2, 3
STATUS_ERROR = 2
MUST_KEEP = ("error", "slow", "n_plus_one", "client_error", "slow_query")


@dataclass
class Trace:
    trace_id: str
    kind: str
    spans: list[dict[str, Any]] = field(default_factory=list)


def _attrs(**values: str) -> list[dict[str, Any]]:
    return [{"key": k.replace("__", "."), "value": {"stringValue": v}} for k, v in values.items()]


def make_traces(count: int, seed: int) -> list[Trace]:
    rng = random.Random(seed)
    now = time.time_ns()
    weights = {
        "error": 0.05,
        "slow": 0.05,
        "n_plus_one": 0.05,
        "client_error": 0.03,  # a 401: e2e.error.category on the request, status unset
        "slow_query": 0.03,  # one 80 ms query (database warning: 50 ms) in a quick request
        "normal": 0.79,
    }
    traces = []
    for _ in range(count):
        kind = rng.choices(list(weights), list(weights.values()))[0]
        trace = Trace(f"{rng.getrandbits(128):032x}", kind)
        start = now - rng.randrange(1, 20_000_000_000)
        duration_ms = 400 if kind == "slow" else rng.uniform(20, 120)
        root_id = f"{rng.getrandbits(64):016x}"
        trace.spans.append(
            {
                "traceId": trace.trace_id,
                "spanId": root_id,
                "name": "GET api/products/",
                "kind": SERVER,
                "startTimeUnixNano": str(start),
                "endTimeUnixNano": str(start + int(duration_ms * 1e6)),
                "attributes": _attrs(http__route="api/products/", e2e__layer="api")
                + (_attrs(e2e__error__category="authentication") if kind == "client_error" else []),
            }
        )
        queries = 8 if kind == "n_plus_one" else rng.randint(1, 3)
        for index in range(queries):
            offset = start + int(2e6) * (index + 1)
            span: dict[str, Any] = {
                "traceId": trace.trace_id,
                "spanId": f"{rng.getrandbits(64):016x}",
                "parentSpanId": root_id,
                "name": "SELECT shop_product",
                "kind": CLIENT,
                "startTimeUnixNano": str(offset),
                "endTimeUnixNano": str(offset + int(80e6 if kind == "slow_query" else 1e6)),
                "attributes": _attrs(db__system="mysql", e2e__layer="database"),
            }
            if kind == "error" and index == 0:
                span["status"] = {"code": STATUS_ERROR, "message": "deadlock"}
            trace.spans.append(span)
        traces.append(trace)
    return traces


def _batches(traces: list[Trace], size: int, seed: int) -> Iterator[list[dict[str, Any]]]:
    roots = [t.spans[0] for t in traces]
    children = [s for t in traces for s in t.spans[1:]]
    chunks = [roots[i : i + size] for i in range(0, len(roots), size)]
    chunks += [children[i : i + size] for i in range(0, len(children), size)]
    random.Random(seed).shuffle(chunks)
    yield from chunks


def send(endpoint: str, service: str, traces: list[Trace], seed: int, batch: int = 200) -> int:
    """POST every span to ``endpoint``/v1/traces; returns the number of spans sent."""
    sent = 0
    resource = {"attributes": _attrs(service__name=service)}
    with httpx.Client(timeout=10) as client:
        for spans in _batches(traces, batch, seed):
            body = {
                "resourceSpans": [
                    {
                        "resource": resource,
                        "scopeSpans": [{"scope": {"name": "scale-test"}, "spans": spans}],
                    }
                ]
            }
            response = client.post(f"{endpoint}/v1/traces", json=body)
            assert response.status_code == 200, f"{response.status_code}: {response.text}"
            sent += len(spans)
    return sent
