"""Spans as an indented tree per trace, for assertion messages: layer, name, duration,
statement fingerprint and error category on each line, offending spans marked ``>>``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby

from e2e_otel import attributes as attr
from e2e_otel.sources.models import SpanRecord

MARK = ">> "
_PLAIN = "   "
#: Alike siblings (same name and statement, no children) beyond this are folded into one line.
_RUN = 4
_FINGERPRINT_CHARS = 110


def render(
    spans: Sequence[SpanRecord], marks: Mapping[str, str] | None = None, max_lines: int = 200
) -> str:
    """The trees of ``spans`` (roots: spans whose parent is not among them), trace by trace in
    start order. ``marks`` maps a span id to a note shown on its line."""
    marks = marks or {}
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[SpanRecord]] = {}
    for span in sorted(spans, key=lambda s: (s.start_ns, s.span_id)):
        parent = span.parent_span_id if span.parent_span_id in ids else None
        children.setdefault(parent, []).append(span)
    lines: list[str] = []
    roots = children.get(None, [])
    for trace_id, trace_roots in groupby(
        sorted(roots, key=lambda s: (s.trace_id, s.start_ns)), key=lambda s: s.trace_id
    ):
        lines.append(_header(trace_id, [s for s in spans if s.trace_id == trace_id]))
        for root in trace_roots:
            _walk(root, 1, children, marks, lines)
    if len(lines) > max_lines:
        hidden = len(lines) - max_lines
        lines = [*lines[:max_lines], f"{_PLAIN}... {hidden} more lines not shown"]
    return "\n".join(lines)


def _header(trace_id: str, spans: Sequence[SpanRecord]) -> str:
    workflows = sorted({str(s.attr(attr.WORKFLOW_TYPE)) for s in spans} - {"None"})
    ids = sorted({str(s.attr(attr.WORKFLOW_ID)) for s in spans} - {"None"})
    text = f"trace {trace_id}"
    if workflows:
        text += f"  workflow {', '.join(workflows)}"
    if ids:
        text += f"  correlation id {', '.join(ids)}"
    return text


def _walk(
    span: SpanRecord,
    depth: int,
    children: Mapping[str | None, list[SpanRecord]],
    marks: Mapping[str, str],
    lines: list[str],
) -> None:
    lines.append(line(span, depth, marks.get(span.span_id)))
    kids = children.get(span.span_id, [])
    for _, run in groupby(kids, key=lambda s: _alike(s, children, marks)):
        group = list(run)
        if group[0].span_id in children or len(group) <= _RUN:
            for kid in group:
                _walk(kid, depth + 1, children, marks, lines)
            continue
        for kid in group[:2]:
            _walk(kid, depth + 1, children, marks, lines)
        folded = group[2:-1]
        prefix = MARK if folded[0].span_id in marks else _PLAIN
        total_ms = sum(s.duration_ms for s in folded)
        lines.append(
            f"{prefix}{'  ' * (depth + 1)}... {len(folded)} more like the line above "
            f"({total_ms:.1f} ms in all)"
        )
        _walk(group[-1], depth + 1, children, marks, lines)


def _alike(
    span: SpanRecord, children: Mapping[str | None, list[SpanRecord]], marks: Mapping[str, str]
) -> tuple[object, ...]:
    if span.span_id in children:
        return (span.span_id,)  # a span with children is never folded
    return (span.name, span.attr(attr.DB_FINGERPRINT_ID), span.span_id in marks)


def statement(fingerprint: str) -> str:
    """A fingerprint on one line: a long select list as ``...`` (the tables and the WHERE
    clause tell statements apart), then cut to a readable length."""
    select, found, rest = fingerprint.partition(" from ")
    if found and select.startswith("select ") and len(fingerprint) > _FINGERPRINT_CHARS:
        fingerprint = f"select ... from {rest}"
    if len(fingerprint) > _FINGERPRINT_CHARS:
        fingerprint = fingerprint[: _FINGERPRINT_CHARS - 3] + "..."
    return fingerprint


def line(span: SpanRecord, depth: int = 0, note: str | None = None) -> str:
    """One span: ``[layer] name  12.3 ms  status 404  error not_found  fp … statement``."""
    layer = span.attr(attr.LAYER) or "?"
    duration = span.duration_ms
    parts = [
        f"[{layer}] {span.name}",
        f"{duration:.1f} ms" if duration >= 10 else f"{duration:.2f} ms",
    ]
    status = attr.http_status_code(span.attributes)
    if status is not None:
        parts.append(f"status {status}")
    category = span.attr(attr.ERROR_CATEGORY)
    if category:
        parts.append(f"error {category}")
    elif span.status == "error":
        parts.append("error")
    fp_id = span.attr(attr.DB_FINGERPRINT_ID)
    if fp_id:
        parts.append(f"fp {fp_id} {statement(str(span.attr(attr.DB_FINGERPRINT) or ''))}")
    prefix = MARK if note is not None else _PLAIN
    suffix = f"  <- {note}" if note else ""
    return f"{prefix}{'  ' * depth}{'  '.join(parts)}{suffix}"
