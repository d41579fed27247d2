"""Build traces from SpanRecords directly: requests, their queries, middle spans, frontend."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from e2e_otel.analyzers.builder import build_dataset
from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.models import AnalyzerResult, Recommendation
from e2e_otel.config import Config, parse_config
from e2e_otel.sources.models import AttributeValue, SpanRecord
from e2e_otel.sql.fingerprint import fingerprint, fingerprint_id

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
BASE_NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z
_ids = itertools.count(1)

REVIEWS = "SELECT `shop_review`.`id` FROM `shop_review` WHERE `shop_review`.`product_id` = %s"
PRODUCTS = "SELECT `shop_product`.`id` FROM `shop_product` ORDER BY `shop_product`.`id` LIMIT 20"
PAGEVIEWS = (
    "SELECT `shop_pageview`.`path`, COUNT(`shop_pageview`.`id`) AS `views` FROM `shop_pageview` "
    "WHERE `shop_pageview`.`referrer` = %s GROUP BY 1 ORDER BY 2 DESC"
)


def ns(ms: float) -> int:
    return BASE_NS + round(ms * 1e6)


@dataclass
class Trace:
    """One trace; times are milliseconds from BASE_NS."""

    trace_id: str = field(default_factory=lambda: f"{next(_ids):032x}")
    spans: list[SpanRecord] = field(default_factory=list)

    def _add(self, **fields: Any) -> SpanRecord:
        span = SpanRecord(trace_id=self.trace_id, span_id=f"{next(_ids):016x}", **fields)
        self.spans.append(span)
        return span

    def request(
        self,
        route: str = "api/products/",
        *,
        method: str = "GET",
        start: float = 0.0,
        duration: float = 10.0,
        status_code: int = 200,
        workflow: str | None = "product_fetch",
        category: str | None = None,
        error: bool = False,
        service: str = "shop-api",
        parent: SpanRecord | None = None,
        layer: str = "api",
    ) -> SpanRecord:
        attributes: dict[str, AttributeValue] = {
            "e2e.layer": layer,
            "http.method": method,
            "http.route": route,
            "http.status_code": status_code,
        }
        _optional(attributes, workflow=workflow, category=category)
        return self._add(
            parent_span_id=parent.span_id if parent else None,
            name=f"{method} {route}",
            kind="server",
            start_ns=ns(start),
            end_ns=ns(start + duration),
            status="error" if error else "unset",
            attributes=attributes,
            service_name=service,
            scope_name="opentelemetry.instrumentation.django",
        )

    def query(
        self,
        parent: SpanRecord | None,
        statement: str,
        *,
        start: float,
        duration: float,
        category: str | None = None,
        workflow: str | None = None,
    ) -> SpanRecord:
        attributes: dict[str, AttributeValue] = {
            "e2e.layer": "database",
            "db.system": "mysql",
            "db.statement": statement,
            "e2e.db.fingerprint": fingerprint(statement),
            "e2e.db.fingerprint_id": fingerprint_id(statement),
        }
        if workflow is None and parent is not None:
            workflow = str(parent.attributes.get("e2e.workflow.type") or "") or None
        _optional(attributes, workflow=workflow, category=category)
        return self._add(
            parent_span_id=parent.span_id if parent else None,
            name=statement.split()[0],
            kind="client",
            start_ns=ns(start),
            end_ns=ns(start + duration),
            status="error" if category else "unset",
            attributes=attributes,
            service_name="shop-api",
            scope_name="opentelemetry.instrumentation.pymysql",
        )

    def loop(
        self,
        parent: SpanRecord,
        statement: str,
        count: int,
        *,
        start: float,
        duration: float,
        gap: float = 0.1,
    ) -> list[SpanRecord]:
        """``count`` executions one after the other, ``gap`` ms apart."""
        return [
            self.query(parent, statement, start=start + i * (duration + gap), duration=duration)
            for i in range(count)
        ]

    def internal(
        self, parent: SpanRecord, name: str, *, start: float, duration: float
    ) -> SpanRecord:
        return self._add(
            parent_span_id=parent.span_id,
            name=name,
            kind="internal",
            start_ns=ns(start),
            end_ns=ns(start + duration),
            status="unset",
            attributes={"e2e.layer": "internal"},
            service_name="shop-api",
            scope_name="shop",
        )

    def page(
        self, route: str, *, duration: float, kind: str = "internal", category: str | None = None
    ) -> SpanRecord:
        attributes: dict[str, AttributeValue] = {"e2e.layer": "frontend", "http.route": route}
        _optional(attributes, workflow="product_fetch", category=category)
        return self._add(
            parent_span_id=None,
            name=f"render {route}",
            kind=kind,
            start_ns=ns(0),
            end_ns=ns(duration),
            status="error" if category else "unset",
            attributes=attributes,
            service_name="shop-web",
            scope_name="next.js",
        )


def _optional(
    attributes: dict[str, AttributeValue], *, workflow: str | None, category: str | None
) -> None:
    if workflow:
        attributes["e2e.workflow.type"] = workflow
        attributes["e2e.workflow.id"] = f"wf-{workflow}"
    if category:
        attributes["e2e.error.category"] = category


def spans_of(traces: Iterable[Trace]) -> list[SpanRecord]:
    return [span for trace in traces for span in trace.spans]


def dataset(spans: Iterable[SpanRecord]) -> Dataset:
    return build_dataset(spans)


def config(**analyzers: dict[str, Any]) -> Config:
    return parse_config({"analyzers": analyzers})


def run(analyze: Any, traces: Iterable[Trace], cfg: Config | None = None) -> AnalyzerResult:
    result: AnalyzerResult = analyze(dataset(spans_of(traces)), cfg or Config(), NOW)
    return result


def only(recommendations: Sequence[Recommendation]) -> Recommendation:
    assert len(recommendations) == 1, [r.title for r in recommendations]
    return recommendations[0]


def write_otlp(path: Path, spans: Iterable[SpanRecord], per_line: int = 5) -> None:
    """Write spans as OTLP JSON lines (``per_line`` spans per request), as exporters do."""
    spans = list(spans)
    lines = [_request(spans[i : i + per_line]) for i in range(0, len(spans), per_line)]
    path.write_text("".join(line + "\n" for line in lines))


def _request(spans: list[SpanRecord]) -> str:
    services: dict[str, list[dict[str, Any]]] = {}
    for span in spans:
        services.setdefault(span.service_name, []).append(_otlp_span(span))
    return json.dumps(
        {
            "resourceSpans": [
                {
                    "resource": {
                        "attributes": [{"key": "service.name", "value": {"stringValue": name}}]
                    },
                    "scopeSpans": [{"scope": {"name": "test"}, "spans": raw}],
                }
                for name, raw in services.items()
            ]
        }
    )


def _otlp_span(span: SpanRecord) -> dict[str, Any]:
    def value(v: AttributeValue) -> dict[str, Any]:
        if isinstance(v, bool):
            return {"boolValue": v}
        if isinstance(v, int):
            return {"intValue": str(v)}
        return {"stringValue": str(v)}

    kinds = {"internal": 1, "server": 2, "client": 3}
    raw: dict[str, Any] = {
        "traceId": span.trace_id,
        "spanId": span.span_id,
        "name": span.name,
        "kind": kinds[span.kind],
        "startTimeUnixNano": str(span.start_ns),
        "endTimeUnixNano": str(span.end_ns),
        "attributes": [{"key": k, "value": value(v)} for k, v in span.attributes.items()],
        "status": {"code": 2} if span.status == "error" else {},
    }
    if span.parent_span_id:
        raw["parentSpanId"] = span.parent_span_id
    return raw


def mark_sampled(path: Path, percent: float = 10.0) -> None:
    """Mark every resource of an OTLP JSON lines file as the sampling tier does (its transform
    processor writes the percent as a double: ``{"doubleValue": 10}``)."""
    mark = [
        {"key": "e2e.sampling.policy", "value": {"stringValue": "tail"}},
        {"key": "e2e.sampling.baseline_percent", "value": {"doubleValue": percent}},
    ]
    lines = []
    for line in path.read_text().splitlines():
        request = json.loads(line)
        for resource_spans in request["resourceSpans"]:
            resource_spans["resource"]["attributes"] += mark
        lines.append(json.dumps(request) + "\n")
    path.write_text("".join(lines))
