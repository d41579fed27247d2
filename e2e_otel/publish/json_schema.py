"""The JSON report's schema (JSON Schema draft 2020-12).

The schema is the single description of the format: docs/report.md documents it field by field
and ``load_report_dict`` checks documents against it (with ``e2e_otel.publish.validation``).
"""

from __future__ import annotations

from typing import Any

from e2e_otel.analyzers.models import REPORT_SCHEMA_VERSION


def _nullable(type_name: str, description: str) -> dict[str, Any]:
    return {"type": [type_name, "null"], "description": description}


_DATE_TIME = {"type": "string", "format": "date-time"}

REPORT_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"urn:e2e-otel:report:{REPORT_SCHEMA_VERSION}",
    "title": "e2e-otel analysis report",
    "description": "Everything one analysis run found: recommendations and report sections.",
    "type": "object",
    "required": [
        "schema_version",
        "generated_at",
        "source",
        "window_start",
        "window_end",
        "spans",
        "traces",
        "complete",
        "problems",
        "summary",
        "recommendations",
        "sections",
        "charts",
    ],
    "additionalProperties": False,
    "properties": {
        "schema_version": {
            "const": REPORT_SCHEMA_VERSION,
            "description": "Version of this format; any change to the format changes it.",
        },
        "generated_at": {**_DATE_TIME, "description": "When the report was made (UTC)."},
        "source": {"type": "string", "description": "Where the telemetry was read from."},
        "window_start": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "Start of the analysed time window (UTC), null if unbounded.",
        },
        "window_end": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "End of the analysed time window (UTC), null if unbounded.",
        },
        "spans": {"type": "integer", "minimum": 0, "description": "Spans analysed."},
        "traces": {"type": "integer", "minimum": 0, "description": "Traces analysed."},
        "complete": {
            "type": "boolean",
            "description": "False when part of the input could not be read (see problems).",
        },
        "problems": {
            "type": "array",
            "items": {"type": "string"},
            "description": "What could not be read or analysed, one sentence each.",
        },
        "summary": {"$ref": "#/$defs/summary"},
        "recommendations": {
            "type": "array",
            "items": {"$ref": "#/$defs/recommendation"},
            "description": "Findings, by priority, then larger expected saving, rule, id.",
        },
        "sections": {
            "type": "array",
            "items": {"$ref": "#/$defs/section"},
            "description": "Tables contributed by the analyzers, in analyzer order.",
        },
        "charts": {
            "type": "array",
            "items": {"$ref": "#/$defs/chart"},
            "description": "Series with the change points found in them (added in 1.1).",
        },
        "sampling": {"$ref": "#/$defs/sampling"},
    },
    "$defs": {
        "sampling": {
            "type": "object",
            "description": "Present when the traces came from a sampling tier (added in 1.2): "
            "trace-based figures are of the kept traces, not of all requests.",
            "required": ["policy", "baseline_percent", "spans"],
            "additionalProperties": False,
            "properties": {
                "policy": {"type": "string", "description": "e2e.sampling.policy, e.g. tail."},
                "baseline_percent": {
                    "type": "array",
                    "items": {"type": "number", "minimum": 0, "maximum": 100},
                    "description": "Share of ordinary traces kept (%), each value recorded.",
                },
                "spans": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Spans marked as sampled (all, unless the input was mixed).",
                },
            },
        },
        "summary": {
            "type": "object",
            "description": "Counts derived from recommendations (for CI gates and badges).",
            "required": ["recommendations", "by_priority", "by_category"],
            "additionalProperties": False,
            "properties": {
                "recommendations": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Number of recommendations.",
                },
                "by_priority": {"$ref": "#/$defs/counts_by_priority"},
                "by_category": {"$ref": "#/$defs/counts_by_category"},
            },
        },
        "counts_by_priority": {
            "type": "object",
            "description": "Recommendations per priority; every priority is present.",
            "required": ["high", "medium", "low"],
            "additionalProperties": False,
            "properties": {
                key: {"type": "integer", "minimum": 0, "description": f"{key} priority."}
                for key in ("high", "medium", "low")
            },
        },
        "counts_by_category": {
            "type": "object",
            "description": "Recommendations per category; every category is present.",
            "required": ["database", "api", "frontend"],
            "additionalProperties": False,
            "properties": {
                key: {"type": "integer", "minimum": 0, "description": f"{key} category."}
                for key in ("database", "api", "frontend")
            },
        },
        "recommendation": {
            "type": "object",
            "description": "One finding and what to do about it.",
            "required": [
                "id",
                "rule",
                "category",
                "priority",
                "title",
                "description",
                "steps",
                "expected_improvement_ms",
                "expected_improvement_pct",
                "evidence",
            ],
            "additionalProperties": False,
            "properties": {
                "id": {
                    "type": "string",
                    "pattern": "^[0-9a-f]{16}$",
                    "description": "Stable id: same rule on the same subject, same id.",
                },
                "rule": {"type": "string", "description": "Analyzer rule, e.g. n_plus_one."},
                "category": {
                    "enum": ["database", "api", "frontend"],
                    "description": "The layer where the fix goes.",
                },
                "priority": {"enum": ["high", "medium", "low"], "description": "Urgency."},
                "title": {"type": "string", "description": "One line naming the subject."},
                "description": {"type": "string", "description": "What was found and why."},
                "steps": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Implementation steps, in order.",
                },
                "expected_improvement_ms": _nullable(
                    "number", "Expected saving in ms per request, null if not estimated."
                ),
                "expected_improvement_pct": _nullable(
                    "number", "Expected saving in % of the subject's time, null if not estimated."
                ),
                "evidence": {"$ref": "#/$defs/evidence"},
            },
        },
        "evidence": {
            "type": "object",
            "description": "Where the finding was seen and the figures behind it.",
            "required": [
                "service",
                "workflow",
                "route",
                "method",
                "fingerprint_id",
                "fingerprint",
                "figures",
                "trace_ids",
            ],
            "additionalProperties": False,
            "properties": {
                "service": _nullable("string", "service.name where it was seen."),
                "workflow": _nullable("string", "e2e.workflow.type."),
                "route": _nullable("string", "http.route, e.g. /api/products/{id}."),
                "method": _nullable("string", "HTTP method of the endpoint, with route."),
                "fingerprint_id": {
                    "type": ["string", "null"],
                    "pattern": "^[0-9a-f]{16}$",
                    "description": "e2e.db.fingerprint_id.",
                },
                "fingerprint": _nullable("string", "e2e.db.fingerprint (normalized SQL)."),
                "figures": {
                    "type": "object",
                    "additionalProperties": {"type": ["number", "null"]},
                    "description": "Named numbers (null stands for NaN or infinity).",
                },
                "trace_ids": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Example trace ids, most telling first.",
                },
            },
        },
        "section": {
            "type": "object",
            "description": "A table an analyzer contributes, e.g. the slow-query profile.",
            "required": ["name", "title", "columns", "rows"],
            "additionalProperties": False,
            "properties": {
                "name": {
                    "type": "string",
                    "pattern": "^[a-z][a-z0-9_]*$",
                    "description": "Machine name, e.g. slow_queries.",
                },
                "title": {"type": "string", "description": "Human title of the table."},
                "columns": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Column names, in display order.",
                },
                "rows": {
                    "type": "array",
                    "items": {"type": "array", "items": {"$ref": "#/$defs/cell"}},
                    "description": "Rows in the analyzer's order, one cell per column.",
                },
            },
        },
        "chart": {
            "type": "object",
            "description": "One subject's metric over time and its confirmed change points.",
            "required": [
                "kind",
                "target",
                "metric",
                "evidence",
                "points",
                "counts",
                "change_points",
            ],
            "additionalProperties": False,
            "properties": {
                "kind": {
                    "enum": ["route", "workflow", "fingerprint"],
                    "description": "What the series is about: endpoint, workflow or statement.",
                },
                "target": {"type": "string", "description": "Display name of the subject."},
                "metric": {
                    "enum": ["p95_ms", "error_ratio"],
                    "description": "p95 latency in ms, or the share (0-1) of failed requests.",
                },
                "evidence": {"$ref": "#/$defs/evidence"},
                "points": {
                    "type": "array",
                    "items": {
                        "type": "array",
                        "prefixItems": [
                            {"type": "number"},
                            {"type": ["number", "null"]},
                        ],
                        "minItems": 2,
                        "maxItems": 2,
                    },
                    "description": "[unix seconds, value] ascending in time; null: NaN.",
                },
                "counts": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 0},
                    "description": "Requests behind each point; empty when unknown.",
                },
                "change_points": {
                    "type": "array",
                    "items": {"$ref": "#/$defs/change_point"},
                    "description": "Confirmed change points, in time order.",
                },
            },
        },
        "change_point": {
            "type": "object",
            "description": "A confirmed shift in the series' mean.",
            "required": [
                "index",
                "at_unix_s",
                "before",
                "after",
                "relative_change",
                "direction",
                "p_value",
            ],
            "additionalProperties": False,
            "properties": {
                "index": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Position in points of the first point after the change.",
                },
                "at_unix_s": {"type": "number", "description": "Time of that point."},
                "before": {"type": "number", "description": "Mean of the segment before."},
                "after": {"type": "number", "description": "Mean of the segment after."},
                "relative_change": _nullable(
                    "number", "(after - before) / before; null when before is 0."
                ),
                "direction": {"enum": ["up", "down"], "description": "Which way it moved."},
                "p_value": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "description": "Welch's t-test between the two segments (search-corrected).",
                },
            },
        },
        "cell": {
            "type": ["string", "number", "boolean", "null"],
            "description": "A JSON scalar: datetimes are ISO 8601 UTC strings, other objects "
            "their text; null stands for a missing value, NaN or infinity.",
        },
    },
}
