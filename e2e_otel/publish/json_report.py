"""The report as JSON: versioned (``schema_version``), documented (``REPORT_JSON_SCHEMA``,
docs/report.md) and deterministic, so two runs on the same data give byte-identical files and a
diff between runs shows only what changed."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import datetime, timezone
from typing import Any, cast

from e2e_otel.analyzers.models import (
    PRIORITY_ORDER,
    Category,
    ChangePoint,
    Evidence,
    Priority,
    Recommendation,
    Report,
    Sampling,
    Section,
    Series,
    SeriesChart,
    SeriesMetric,
    SubjectKind,
)
from e2e_otel.publish.json_schema import REPORT_JSON_SCHEMA
from e2e_otel.publish.validation import ReportSchemaError, parse_date_time, validate

__all__ = [
    "REPORT_JSON_SCHEMA",
    "ReportSchemaError",
    "load_report_dict",
    "render_json",
    "report_from_dict",
    "report_to_dict",
]

CATEGORIES: tuple[Category, ...] = ("database", "api", "frontend")


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _optional_iso(moment: datetime | None) -> str | None:
    return None if moment is None else iso_utc(moment)


def _number(value: float | None) -> float | None:
    # JSON has no NaN/Infinity; null keeps the document valid and says "no number".
    if value is None or not math.isfinite(value):
        return None
    return value


def _cell(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, datetime):
        return iso_utc(value)
    return str(value)


def sorted_recommendations(report: Report) -> list[Recommendation]:
    """The report's recommendations in their deterministic order (``Recommendation.sort_key``)."""
    return sorted(report.recommendations, key=lambda r: r.sort_key())


def _evidence_to_dict(evidence: Evidence) -> dict[str, Any]:
    return {
        "service": evidence.service,
        "workflow": evidence.workflow,
        "route": evidence.route,
        "method": evidence.method,
        "fingerprint_id": evidence.fingerprint_id,
        "fingerprint": evidence.fingerprint,
        "figures": {name: _number(value) for name, value in evidence.figures.items()},
        "trace_ids": list(evidence.trace_ids),
    }


def _recommendation_to_dict(rec: Recommendation) -> dict[str, Any]:
    return {
        "id": rec.id,
        "rule": rec.rule,
        "category": rec.category,
        "priority": rec.priority,
        "title": rec.title,
        "description": rec.description,
        "steps": list(rec.steps),
        "expected_improvement_ms": _number(rec.expected_improvement_ms),
        "expected_improvement_pct": _number(rec.expected_improvement_pct),
        "evidence": _evidence_to_dict(rec.evidence),
    }


def _section_to_dict(section: Section) -> dict[str, Any]:
    return {
        "name": section.name,
        "title": section.title,
        "columns": list(section.columns),
        "rows": [[_cell(value) for value in row] for row in section.rows],
    }


def _chart_to_dict(chart: SeriesChart) -> dict[str, Any]:
    series = chart.series
    return {
        "kind": series.kind,
        "target": series.target,
        "metric": series.metric,
        "evidence": _evidence_to_dict(series.evidence),
        "points": [[at, _number(value)] for at, value in series.points],
        "counts": list(series.counts),
        "change_points": [
            {
                "index": cp.index,
                "at_unix_s": cp.at_unix_s,
                "before": cp.before,
                "after": cp.after,
                "relative_change": _number(cp.relative_change),
                "direction": cp.direction,
                "p_value": cp.p_value,
            }
            for cp in chart.change_points
        ],
    }


def _sampling_to_dict(sampling: Sampling) -> dict[str, Any]:
    return {
        "policy": sampling.policy,
        "baseline_percent": list(sampling.baseline_percent),
        "spans": sampling.spans,
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    """The report as plain JSON data, valid against ``REPORT_JSON_SCHEMA``.

    Recommendations are in ``sort_key`` order; sections, rows, steps, trace ids and charts keep
    the analyzers' order (it is meaningful); datetimes are ISO 8601 UTC strings; NaN and infinity
    become null; a section cell that is not a JSON scalar becomes its ``str()``; ``sampling``
    is there only when the traces came from a sampling tier.
    """
    by_priority: Counter[str] = Counter(rec.priority for rec in report.recommendations)
    by_category: Counter[str] = Counter(rec.category for rec in report.recommendations)
    sampling = {} if report.sampling is None else {"sampling": _sampling_to_dict(report.sampling)}
    return {
        "schema_version": report.schema_version,
        "generated_at": iso_utc(report.generated_at),
        "source": report.source,
        "window_start": _optional_iso(report.window_start),
        "window_end": _optional_iso(report.window_end),
        "spans": report.spans,
        "traces": report.traces,
        "complete": report.complete,
        "problems": list(report.problems),
        "summary": {
            "recommendations": len(report.recommendations),
            "by_priority": {p: by_priority[p] for p in PRIORITY_ORDER},
            "by_category": {c: by_category[c] for c in CATEGORIES},
        },
        "recommendations": [_recommendation_to_dict(r) for r in sorted_recommendations(report)],
        "sections": [_section_to_dict(s) for s in report.sections],
        "charts": [_chart_to_dict(chart) for chart in report.charts],
        **sampling,
    }


def render_json(report: Report) -> str:
    """The report as a JSON document: keys sorted, two-space indent, UTF-8 text, final newline.

    The document is validated before it is returned: a report the schema rejects (e.g. an id
    that is not 16 hex chars) raises ``ReportSchemaError`` instead of producing a file that
    readers would refuse.
    """
    data = report_to_dict(report)
    validate(data)
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _reject_constant(name: str) -> Any:
    raise ReportSchemaError("", f"{name} is not valid JSON")


def load_report_dict(text: str | bytes) -> dict[str, Any]:
    """Parse a JSON report and validate it against ``REPORT_JSON_SCHEMA``.

    Raises ``ReportSchemaError`` (a ``ValueError``) naming the bad field; a document written by
    another schema version is rejected with a message naming both versions.
    """
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    # ValueError: JSONDecodeError, or an integer of more digits than Python converts.
    except (ValueError, RecursionError) as exc:
        raise ReportSchemaError("", f"not JSON: {exc or 'nested too deeply'}") from exc
    expected = REPORT_JSON_SCHEMA["properties"]["schema_version"]["const"]
    if isinstance(data, dict) and data.get("schema_version", expected) != expected:
        version = data["schema_version"]
        if not _older_minor(version, expected):
            raise ReportSchemaError(
                "schema_version",
                f"report schema {version!r} is not supported (reads {expected!r} and its "
                "earlier minor versions)",
            )
        # An earlier minor version is this schema without the fields added since (all
        # optional): it validates as the current one.
        validate({**data, "schema_version": expected})
    else:
        validate(data)
    for index, section in enumerate(data["sections"]):
        width = len(section["columns"])
        for row_index, row in enumerate(section["rows"]):
            if len(row) != width:
                raise ReportSchemaError(
                    f"sections[{index}].rows[{row_index}]",
                    f"{len(row)} cells for {width} columns",
                )
    for index, chart in enumerate(data["charts"]):
        _check_chart(f"charts[{index}]", chart)
    return cast(dict[str, Any], data)


def _older_minor(version: object, current: str) -> bool:
    """Whether ``version`` is ``current``'s major with a lower minor (``"1.1"`` for ``"1.2"``)."""
    if not isinstance(version, str):
        return False
    try:
        major, minor = (int(part) for part in version.split("."))
        cur_major, cur_minor = (int(part) for part in current.split("."))
    except ValueError:
        return False
    return major == cur_major and 0 <= minor < cur_minor


def _check_chart(path: str, chart: dict[str, Any]) -> None:
    points = len(chart["points"])
    if chart["counts"] and len(chart["counts"]) != points:
        raise ReportSchemaError(
            f"{path}.counts", f"{len(chart['counts'])} counts for {points} points"
        )
    for index, cp in enumerate(chart["change_points"]):
        if cp["index"] >= points:
            raise ReportSchemaError(
                f"{path}.change_points[{index}].index", f"{cp['index']} is past {points} points"
            )


def _datetime(text: str | None) -> datetime | None:
    return None if text is None else parse_date_time(text)


def _figure(value: float | None) -> float:
    return math.nan if value is None else value


def _evidence_from_dict(ev: dict[str, Any]) -> Evidence:
    return Evidence(
        service=ev["service"],
        workflow=ev["workflow"],
        route=ev["route"],
        method=ev["method"],
        fingerprint_id=ev["fingerprint_id"],
        fingerprint=ev["fingerprint"],
        figures={name: _figure(value) for name, value in ev["figures"].items()},
        trace_ids=tuple(ev["trace_ids"]),
    )


def _chart_from_dict(data: dict[str, Any]) -> SeriesChart:
    series = Series(
        kind=cast(SubjectKind, data["kind"]),
        target=data["target"],
        metric=cast(SeriesMetric, data["metric"]),
        points=tuple((float(at), _figure(value)) for at, value in data["points"]),
        evidence=_evidence_from_dict(data["evidence"]),
        counts=tuple(data["counts"]),
    )
    change_points = tuple(
        ChangePoint(cp["index"], cp["at_unix_s"], cp["before"], cp["after"], cp["p_value"])
        for cp in data["change_points"]
    )
    return SeriesChart(series, change_points)


def _recommendation_from_dict(data: dict[str, Any]) -> Recommendation:
    return Recommendation(
        id=data["id"],
        rule=data["rule"],
        category=cast(Category, data["category"]),
        priority=cast(Priority, data["priority"]),
        title=data["title"],
        description=data["description"],
        steps=tuple(data["steps"]),
        expected_improvement_ms=data["expected_improvement_ms"],
        expected_improvement_pct=data["expected_improvement_pct"],
        evidence=_evidence_from_dict(data["evidence"]),
    )


def report_from_dict(data: dict[str, Any]) -> Report:
    """Rebuild a ``Report`` from a dict returned by ``load_report_dict`` (``summary`` and the
    change points' ``relative_change`` and ``direction`` are derived and ignored).
    ``report_from_dict(load_report_dict(render_json(r)))`` equals ``r`` with its
    recommendations sorted, as long as section cells and figures were JSON scalars."""
    return Report(
        generated_at=parse_date_time(data["generated_at"]),
        source=data["source"],
        window_start=_datetime(data["window_start"]),
        window_end=_datetime(data["window_end"]),
        spans=int(data["spans"]),
        traces=int(data["traces"]),
        recommendations=tuple(_recommendation_from_dict(r) for r in data["recommendations"]),
        sections=tuple(
            Section(
                name=s["name"],
                title=s["title"],
                columns=tuple(s["columns"]),
                rows=tuple(tuple(row) for row in s["rows"]),
            )
            for s in data["sections"]
        ),
        problems=tuple(data["problems"]),
        complete=data["complete"],
        charts=tuple(_chart_from_dict(chart) for chart in data["charts"]),
        schema_version=data["schema_version"],
        sampling=_sampling_from_dict(data.get("sampling")),
    )


def _sampling_from_dict(data: dict[str, Any] | None) -> Sampling | None:
    if data is None:
        return None
    return Sampling(data["policy"], tuple(data["baseline_percent"]), int(data["spans"]))
