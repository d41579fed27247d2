"""The workload of bench/bench_spans.py: a Django-like request (a SERVER span and N PyMySQL
CLIENT children), the arms (bare SDK, ours, one piece of ours at a time) and one measured
round. Imported by bench_spans.py and spans_breakdown.py."""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context, trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import (
    Sampler,
)
from opentelemetry.trace import SpanKind

from e2e_otel.config import Config
from e2e_otel.processors import WorkflowSpanProcessor
from e2e_otel.setup import export_processor, start_processors

MAX_BATCH_SPANS = 1500
# Read by every BatchSpanProcessor when it is built: the worker thread never wakes up during a
# batch (queue stays below the export batch size, schedule delay of an hour), nothing is dropped,
# and force_flush() exports the whole batch on the calling thread.
BSP_ENV = {
    "OTEL_BSP_SCHEDULE_DELAY": "3600000",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "2048",
    "OTEL_BSP_MAX_QUEUE_SIZE": "4096",
}

DJANGO_SCOPE = "opentelemetry.instrumentation.django"
PYMYSQL_SCOPE = "opentelemetry.instrumentation.pymysql"
# What Django ORM sends through PyMySQL for the demo shop's product pages.
STATEMENTS = (
    "SELECT `django_session`.`session_key`, `django_session`.`session_data`, "
    "`django_session`.`expire_date` FROM `django_session` WHERE "
    "(`django_session`.`expire_date` > %s AND `django_session`.`session_key` = %s) LIMIT 21",
    "SELECT `auth_user`.`id`, `auth_user`.`password`, `auth_user`.`last_login`, "
    "`auth_user`.`is_superuser`, `auth_user`.`username`, `auth_user`.`first_name`, "
    "`auth_user`.`last_name`, `auth_user`.`email`, `auth_user`.`is_staff`, "
    "`auth_user`.`is_active`, `auth_user`.`date_joined` FROM `auth_user` "
    "WHERE `auth_user`.`id` = %s LIMIT 21",
    "SELECT `shop_product`.`id`, `shop_product`.`sku`, `shop_product`.`name`, "
    "`shop_product`.`description`, `shop_product`.`price`, `shop_product`.`stock`, "
    "`shop_product`.`supplier_code`, `shop_product`.`category_id`, `shop_category`.`id`, "
    "`shop_category`.`name`, `shop_category`.`slug` FROM `shop_product` INNER JOIN "
    "`shop_category` ON (`shop_product`.`category_id` = `shop_category`.`id`) "
    "WHERE `shop_product`.`id` = %s LIMIT 21",
    "SELECT COUNT(*) AS `__count` FROM `shop_product`",
    "SELECT `shop_product`.`id`, `shop_product`.`sku`, `shop_product`.`name`, "
    "`shop_product`.`price`, `shop_product`.`category_id`, `shop_category`.`id`, "
    "`shop_category`.`name` FROM `shop_product` INNER JOIN `shop_category` ON "
    "(`shop_product`.`category_id` = `shop_category`.`id`) ORDER BY `shop_product`.`id` ASC "
    "LIMIT 20",
    "SELECT `shop_review`.`id`, `shop_review`.`product_id`, `shop_review`.`rating`, "
    "`shop_review`.`body`, `shop_review`.`created_at` FROM `shop_review` WHERE "
    "`shop_review`.`product_id` IN (%s, %s, %s) ORDER BY `shop_review`.`id` DESC",
)
# The Django middleware starts the server span with these (old HTTP semantic conventions).
SERVER_START_ATTRIBUTES: dict[str, Any] = {
    "http.method": "GET",
    "http.server_name": "127.0.0.1",
    "http.scheme": "http",
    "net.host.port": 8000,
    "http.host": "127.0.0.1:8000",
    "http.url": "http://127.0.0.1:8000/api/products/1/",
    "net.peer.ip": "127.0.0.1",
    "http.user_agent": "python-httpx/0.28.1",
    "http.flavor": "1.1",
}


class CountingExporter(SpanExporter):
    """Counts spans and does nothing else, so the only export cost is the arm's own."""

    def __init__(self) -> None:
        self.count = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.count += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


@dataclass
class Arm:
    name: str
    provider: TracerProvider
    exporter: CountingExporter
    request_ns: list[float] = field(default_factory=list)
    total_cpu_ns: list[float] = field(default_factory=list)

    @property
    def server_tracer(self) -> trace.Tracer:
        return self.provider.get_tracer(DJANGO_SCOPE, "0.66b1")

    @property
    def db_tracer(self) -> trace.Tracer:
        return self.provider.get_tracer(PYMYSQL_SCOPE, "0.66b1")


ProcessorFactory = Callable[[SpanExporter], list[SpanProcessor]]

ARM_PROCESSORS: dict[str, ProcessorFactory] = {
    "bare": lambda exporter: [BatchSpanProcessor(exporter)],
    "ours": lambda exporter: [*start_processors(), export_processor(exporter, Config())],
    # Ablations for --breakdown: one piece of ours at a time on top of bare.
    "+workflow": lambda exporter: [WorkflowSpanProcessor(), BatchSpanProcessor(exporter)],
    "+enrichers": lambda exporter: [export_processor(exporter, Config())],
}


class SeededIdGenerator(IdGenerator):
    """Every arm draws the same trace ids, so a ratio sampler keeps the same traces in each."""

    def __init__(self, seed: int = 1) -> None:
        self._random = random.Random(seed)

    def generate_span_id(self) -> int:
        return self._random.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self._random.getrandbits(128) or 1


def build_arm(name: str, sampler: Sampler) -> Arm:
    exporter = CountingExporter()
    provider = TracerProvider(
        sampler=sampler, id_generator=SeededIdGenerator(), shutdown_on_exit=False
    )
    for processor in ARM_PROCESSORS[name](exporter):
        provider.add_span_processor(processor)
    return Arm(name, provider, exporter)


def run_requests(arm: Arm, requests: int, children: int, ids: Sequence[str]) -> int:
    """Trace ``requests`` Django-like requests; return how many spans were sampled."""
    server = arm.server_tracer
    db = arm.db_tracer
    sampled = 0
    for i in range(requests):
        root = server.start_span(
            "GET api/products/<int:pk>/", kind=SpanKind.SERVER, attributes=SERVER_START_ATTRIBUTES
        )
        token = context.attach(trace.set_span_in_context(root))
        if root.is_recording():  # what e2e_otel.instrumentation.django.request_hook does
            root.set_attribute("e2e.workflow.type", "product_fetch")
            root.set_attribute("e2e.workflow.id", ids[i % len(ids)])
        for j in range(children):
            # What opentelemetry-instrumentation-dbapi does around cursor.execute().
            with db.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as span:
                if span.is_recording():
                    span.set_attributes(
                        {
                            "db.system": "mysql",
                            "db.name": "shop",
                            "db.statement": STATEMENTS[(i + j) % len(STATEMENTS)],
                        }
                    )
                    span.set_attribute("net.peer.name", "127.0.0.1")
                    span.set_attribute("net.peer.port", 33306)
                    span.set_attribute("db.user", "shop")
        if root.is_recording():
            root.set_attribute("http.route", "api/products/<int:pk>/")
            root.set_attribute("http.status_code", 200)
        root.end()
        context.detach(token)
        if root.get_span_context().trace_flags.sampled:
            sampled += 1 + children
    return sampled


def measure(arm: Arm, batches: int, requests: int, children: int, ids: Sequence[str]) -> None:
    """One round of one arm: ``batches`` batches, each traced then flushed."""
    spans = batches * requests * (1 + children)
    request_ns = 0
    cpu_ns = 0
    for _ in range(batches):
        gc.collect()
        before = arm.exporter.count
        cpu0 = time.process_time_ns()
        wall0 = time.perf_counter_ns()
        sampled = run_requests(arm, requests, children, ids)
        request_ns += time.perf_counter_ns() - wall0
        if not arm.provider.force_flush():
            raise RuntimeError(f"{arm.name}: force_flush failed")
        cpu_ns += time.process_time_ns() - cpu0
        exported = arm.exporter.count - before
        if exported != sampled:
            raise RuntimeError(f"{arm.name}: exporter got {exported} spans, expected {sampled}")
    arm.request_ns.append(request_ns / spans)
    arm.total_cpu_ns.append(cpu_ns / spans)
