"""OTLP JSON files (one ExportTraceServiceRequest per line), as written by the Python
``otlp_json_file`` exporter and the Collector's file exporter. Streamed: one line at a time.

A line that is not valid OTLP JSON is reported with its location and skipped; the rest of the
file is still read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from e2e_otel.sources.models import AttributeValue, InputProblem, SpanEvent, SpanRecord

_KINDS = {0: "internal", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_STATUS = {0: "unset", 1: "ok", 2: "error"}
_WHOLE_FILE_LIMIT = 256 * 1024 * 1024

ProblemHandler = Callable[[InputProblem], None]


class MalformedSpan(ValueError):
    pass


def read_spans(
    paths: Iterable[str | os.PathLike[str]], on_problem: ProblemHandler | None = None
) -> Iterator[SpanRecord]:
    """Yield every span of every file in ``paths``; problems go to ``on_problem``."""
    report = on_problem or (lambda problem: None)
    for path in paths:
        yield from _read_file(Path(path), report)


def _read_file(path: Path, report: ProblemHandler) -> Iterator[SpanRecord]:
    try:
        handle = path.open("r", encoding="utf-8", errors="replace")
    except OSError as exc:
        report(InputProblem(str(path), 0, f"cannot open: {exc.strerror or exc}"))
        return
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                document = json.loads(line)
            except json.JSONDecodeError as exc:
                if number == 1 and _maybe_pretty(path, line):
                    yield from _whole_file(path, report)
                    return
                report(
                    InputProblem(str(path), number, f"invalid JSON: {exc.msg} (column {exc.colno})")
                )
                continue
            yield from spans_of_document(document, str(path), number, report)


def _maybe_pretty(path: Path, first_line: str) -> bool:
    # A pretty-printed single request starts with "{" and spans many lines.
    try:
        return first_line.strip() == "{" and path.stat().st_size <= _WHOLE_FILE_LIMIT
    except OSError:
        return False


def _whole_file(path: Path, report: ProblemHandler) -> Iterator[SpanRecord]:
    try:
        document = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        report(InputProblem(str(path), exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})"))
        return
    yield from spans_of_document(document, str(path), 1, report)


def spans_of_document(
    document: Any, path: str, line: int, report: ProblemHandler
) -> Iterator[SpanRecord]:
    """The spans of one decoded OTLP trace request (``path``/``line`` locate problems)."""
    if not isinstance(document, dict) or not isinstance(document.get("resourceSpans"), list):
        report(InputProblem(path, line, "not an OTLP trace request (no resourceSpans list)"))
        return
    for resource_spans in document["resourceSpans"]:
        if not isinstance(resource_spans, dict):
            report(InputProblem(path, line, "resourceSpans entry is not an object"))
            continue
        resource = attributes_of(resource_spans.get("resource", {}).get("attributes"))
        service = resource.get("service.name")
        service_name = service if isinstance(service, str) else "unknown_service"
        for scope_spans in resource_spans.get("scopeSpans") or []:
            scope = (
                (scope_spans.get("scope") or {}).get("name", "")
                if isinstance(scope_spans, dict)
                else ""
            )
            spans = scope_spans.get("spans") if isinstance(scope_spans, dict) else None
            for raw in spans or []:
                try:
                    yield _span(raw, service_name, str(scope))
                except (MalformedSpan, KeyError, TypeError, ValueError) as exc:
                    report(InputProblem(path, line, f"malformed span skipped: {exc}"))


def _span(raw: Any, service_name: str, scope: str) -> SpanRecord:
    if not isinstance(raw, dict):
        raise MalformedSpan("span is not an object")
    trace_id, span_id = raw.get("traceId"), raw.get("spanId")
    if not isinstance(trace_id, str) or not isinstance(span_id, str) or not trace_id or not span_id:
        raise MalformedSpan("missing traceId/spanId")
    parent = raw.get("parentSpanId") or None
    status = raw.get("status") or {}
    events = tuple(
        SpanEvent(
            name=str(e.get("name", "")),
            time_ns=int(e.get("timeUnixNano", 0)),
            attributes=attributes_of(e.get("attributes")),
        )
        for e in raw.get("events") or []
        if isinstance(e, dict)
    )
    return SpanRecord(
        trace_id=trace_id.lower(),
        span_id=span_id.lower(),
        parent_span_id=parent.lower() if isinstance(parent, str) else None,
        name=str(raw.get("name", "")),
        kind=_enum(raw.get("kind", 0), _KINDS, "SPAN_KIND_"),
        start_ns=int(raw["startTimeUnixNano"]),
        end_ns=int(raw["endTimeUnixNano"]),
        status=_enum(
            status.get("code", 0) if isinstance(status, dict) else 0, _STATUS, "STATUS_CODE_"
        ),
        attributes=attributes_of(raw.get("attributes")),
        service_name=service_name,
        scope_name=scope,
        events=events,
    )


def _enum(value: Any, names: Mapping[int, str], prefix: str) -> str:
    if isinstance(value, int):
        return names.get(value, "internal" if prefix == "SPAN_KIND_" else "unset")
    if isinstance(value, str):
        name = value.removeprefix(prefix).lower()
        if name == "unspecified":
            return "internal"
        return name
    raise MalformedSpan(f"bad enum value {value!r}")


def attributes_of(raw: Any) -> dict[str, AttributeValue]:
    """OTLP JSON ``[{"key":..., "value": {"stringValue": ...}}]`` -> a plain dict."""
    result: dict[str, AttributeValue] = {}
    if not isinstance(raw, list):
        return result
    for item in raw:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            result[item["key"]] = _value(item.get("value"))
    return result


def _value(value: Any) -> AttributeValue:
    if not isinstance(value, dict) or not value:
        return None
    kind, inner = next(iter(value.items()))
    if kind == "stringValue":
        return str(inner)
    if kind == "boolValue":
        return bool(inner)
    if kind == "intValue":
        return int(inner)
    if kind == "doubleValue":
        return float(inner)
    if kind == "arrayValue":
        return tuple(_value(v) for v in (inner or {}).get("values", []))
    if kind == "bytesValue":
        return str(inner)
    return None
