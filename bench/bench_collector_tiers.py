"""Collector capacity per tier: CPU and memory per span for the scaled-out stack's gateway and
sampling tiers, against a plain OTLP -> file collector fed the same spans in the same run.

    .venv/bin/python bench/bench_collector_tiers.py [--spans 200000] [--rounds 3] [--json out.json]

Arms (each round sends the same payloads to each, in turn):

- **plain**: the same otelcol-e2e binary with only ``otlp -> batch -> file`` (the floor: what
  receiving, decoding and writing a span costs);
- **gateway**: ``collector-config/otelcol.yaml`` + ``scale/gateway.yaml`` -- span metrics,
  service-graph metrics and remote write to a real Prometheus, raw spans load-balanced by trace
  id to the samplers;
- **samplers**: ``scale/sampler.yaml`` x 2 -- tail sampling (10 % baseline) to a file each.

Measured per arm: CPU seconds (user + system, from /proc) of the arm's processes per span sent
-> spans per second per core, and the ratio to **plain**; peak RSS. The sender is Python
posting pre-encoded OTLP/protobuf requests (500 spans each, as an SDK batch would), so the
figures are the collector's cost, not the sender's.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from e2e_otel.stack.native import Program
from e2e_otel.stack.native_config import LOOPBACK, Ports, find_collector
from e2e_otel.stack.scale_native import ScaledStack

PER_REQUEST = 500
DECISION_WAIT_S = 10
STATEMENTS = [
    "SELECT `shop_product`.`id`, `shop_product`.`name` FROM `shop_product` WHERE `id` = %s",
    "SELECT `shop_review`.`id` FROM `shop_review` WHERE `product_id` = %s",
    "UPDATE `shop_cart` SET `updated` = %s WHERE `id` = %s",
    "SELECT COUNT(*) AS `__count` FROM `shop_order` WHERE `user_id` = %s",
]
ROUTES = ["api/products/", "api/products/{id}/", "api/cart/", "api/checkout/", "api/login/"]
PLAIN_CONFIG = """\
receivers:
  otlp:
    protocols:
      http:
        endpoint: {endpoint}
processors:
  batch: {{}}
exporters:
  file:
    path: {path}
extensions:
  health_check:
    endpoint: {health}
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [file]
"""


def _kv(key: str, value: str) -> KeyValue:
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _payloads(spans: int, seed: int) -> tuple[list[bytes], int]:
    """Requests of PER_REQUEST spans: traces of a server span and 1-12 queries, like the shop's."""
    rng = random.Random(seed)
    now = time.time_ns()
    requests: list[bytes] = []
    current: list[Span] = []
    made = total = 0
    while made < spans:
        trace_id = rng.getrandbits(128).to_bytes(16, "big")
        root = rng.getrandbits(64).to_bytes(8, "big")
        start = now - rng.randrange(10**9)
        route = rng.choice(ROUTES)
        duration = int(rng.lognormvariate(3.5, 0.8) * 1e6)
        failed = rng.random() < 0.02
        current.append(
            Span(
                trace_id=trace_id,
                span_id=root,
                name=f"GET {route}",
                kind=Span.SPAN_KIND_SERVER,
                start_time_unix_nano=start,
                end_time_unix_nano=start + duration,
                attributes=[
                    _kv("http.route", route),
                    _kv("http.request.method", "GET"),
                    _kv("e2e.layer", "api"),
                    _kv("e2e.workflow.type", "product_fetch"),
                ],
                status=Status(
                    code=Status.STATUS_CODE_ERROR if failed else Status.STATUS_CODE_UNSET
                ),
            )
        )
        for index in range(rng.randint(1, 12)):
            statement = STATEMENTS[index % len(STATEMENTS)]
            begin = start + index * 1_000_000
            current.append(
                Span(
                    trace_id=trace_id,
                    span_id=rng.getrandbits(64).to_bytes(8, "big"),
                    parent_span_id=root,
                    name=statement.split(" ", 1)[0],
                    kind=Span.SPAN_KIND_CLIENT,
                    start_time_unix_nano=begin,
                    end_time_unix_nano=begin + rng.randrange(200_000, 5_000_000),
                    attributes=[
                        _kv("db.system", "mysql"),
                        _kv("db.name", "shop"),
                        _kv("db.statement", statement),
                        _kv("e2e.layer", "database"),
                        _kv("e2e.db.fingerprint_id", f"{hash(statement) & 0xFFFFFFFF:08x}"),
                    ],
                )
            )
        made = total + len(current)
        if len(current) >= PER_REQUEST:
            requests.append(_encode(current))
            total += len(current)
            current = []
    if current:
        requests.append(_encode(current))
        total += len(current)
    return requests, total


def _encode(spans: list[Span]) -> bytes:
    resource = ResourceSpans(scope_spans=[ScopeSpans(spans=spans)])
    resource.resource.attributes.append(_kv("service.name", "bench-shop"))
    return bytes(ExportTraceServiceRequest(resource_spans=[resource]).SerializeToString())


def _send(endpoint: str, payloads: list[bytes], threads: int = 2) -> float:
    """POST every payload; returns the wall time. Fails on any refused request."""
    headers = {"Content-Type": "application/x-protobuf"}

    def post(chunk: list[bytes]) -> None:
        with httpx.Client(timeout=30) as client:
            for body in chunk:
                response = client.post(f"{endpoint}/v1/traces", content=body, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"{endpoint}: HTTP {response.status_code} {response.text}")

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(post, [payloads[i::threads] for i in range(threads)]))
    return time.perf_counter() - started


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int, field: str = "VmHWM") -> float:
    """Peak (VmHWM) or current (VmRSS) resident memory of ``pid`` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_rss_mb(pid: int) -> float:
    return _rss_mb(pid)


@dataclass
class Arm:
    name: str
    spans: int = 0
    cpu_s: float = 0.0
    wall_s: float = 0.0
    peak_rss_mb: float = 0.0
    idle_rss_mb: float = 0.0

    @property
    def send_rate(self) -> float:
        """Spans per second the sender reached (the rate the memory figure is for)."""
        return self.spans / self.wall_s if self.wall_s else 0.0

    def kb_per_held_span(self, rounds: int) -> float:
        """Memory per span a sampler holds while it waits for the decision: every span of a
        round is held at once when the round is sent faster than decision_wait (10 s here)."""
        per_round = self.spans / rounds if rounds else 0
        held = min(per_round, self.send_rate * DECISION_WAIT_S)
        return (self.peak_rss_mb - self.idle_rss_mb) * 1024 / held if held else 0.0

    @property
    def spans_per_core_second(self) -> float:
        return self.spans / self.cpu_s if self.cpu_s else 0.0


def _measure(
    arm: Arm, pids: Sequence[int], endpoint: str, payloads: list[bytes], spans: int
) -> None:
    before = sum(_cpu_seconds(p) for p in pids)
    arm.wall_s += _send(endpoint, payloads)
    time.sleep(
        DECISION_WAIT_S + 2
    )  # the samplers decide after decision_wait; batches and files flush
    arm.cpu_s += sum(_cpu_seconds(p) for p in pids) - before
    arm.spans += spans
    arm.peak_rss_mb = max(arm.peak_rss_mb, *(_peak_rss_mb(p) for p in pids))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=200_000, help="spans per arm and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="bench-tiers-"))
    payloads, spans = _payloads(args.spans, seed=1)
    ports = Ports.free()
    plain_config = workdir / "plain.yaml"
    plain_config.write_text(
        PLAIN_CONFIG.format(
            endpoint=f"{LOOPBACK}:{ports.otlp_http}",
            path=workdir / "plain.jsonl",
            health=f"{LOOPBACK}:{ports.health}",
        )
    )
    plain = Program(
        "plain",
        [str(find_collector()), "--config", str(plain_config)],
        workdir / "plain.log",
        dict(os.environ),
    )
    stack = ScaledStack(workdir / "scaled", samplers=2, decision_wait=f"{DECISION_WAIT_S}s")
    arms = {name: Arm(name) for name in ("plain", "gateway", "samplers")}
    plain.start(f"http://{LOOPBACK}:{ports.health}/", 60)
    try:
        stack.start()
        pids = stack.pids()
        assert plain.process is not None
        sampler_pids = [pid for name, pid in pids.items() if name.startswith("sampler")]
        arms["plain"].idle_rss_mb = _rss_mb(plain.process.pid, "VmRSS")
        arms["gateway"].idle_rss_mb = _rss_mb(pids["gateway-0"], "VmRSS")
        arms["samplers"].idle_rss_mb = sum(_rss_mb(p, "VmRSS") for p in sampler_pids)
        for _ in range(args.rounds):
            _measure(
                arms["plain"],
                [plain.process.pid],
                f"http://{LOOPBACK}:{ports.otlp_http}",
                payloads,
                spans,
            )
            before = sum(_cpu_seconds(p) for p in sampler_pids)
            _measure(
                arms["gateway"], [pids["gateway-0"]], stack.otlp_http_endpoint, payloads, spans
            )
            samplers = arms["samplers"]
            samplers.cpu_s += sum(_cpu_seconds(p) for p in sampler_pids) - before
            samplers.spans += spans
            samplers.wall_s = arms["gateway"].wall_s
            # The tier's memory: both samplers together.
            samplers.peak_rss_mb = max(
                samplers.peak_rss_mb, sum(_peak_rss_mb(p) for p in sampler_pids)
            )
            stack.check_alive()
    finally:
        stack.stop()
        plain.stop()

    floor = arms["plain"].spans_per_core_second
    print(f"{spans} spans per arm and round, {args.rounds} rounds, {os.cpu_count()} cores")
    print(
        f"{'arm':10} {'spans/core-s':>13} {'cost vs plain':>14} {'peak RSS MB':>12}"
        f" {'sent spans/s':>13} {'KB per held span':>17}"
    )
    for arm in arms.values():
        rate = arm.spans_per_core_second
        ratio = floor / rate if rate else float("nan")
        held = f"{arm.kb_per_held_span(args.rounds):.2f}" if arm.name == "samplers" else "-"
        print(
            f"{arm.name:10} {rate:13,.0f} {ratio:13.2f}x {arm.peak_rss_mb:12.0f}"
            f" {arm.send_rate:13,.0f} {held:>17}"
        )
    if args.json:
        args.json.write_text(json.dumps([asdict(a) for a in arms.values()], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
