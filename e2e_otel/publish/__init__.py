"""Publishers: the analysis ``Report`` as JSON, Markdown and HTML."""

from __future__ import annotations

from e2e_otel.publish.html import render_html
from e2e_otel.publish.json_report import (
    REPORT_JSON_SCHEMA,
    ReportSchemaError,
    load_report_dict,
    render_json,
    report_from_dict,
    report_to_dict,
)
from e2e_otel.publish.markdown import render_markdown

__all__ = [
    "REPORT_JSON_SCHEMA",
    "ReportSchemaError",
    "load_report_dict",
    "render_html",
    "render_json",
    "render_markdown",
    "report_from_dict",
    "report_to_dict",
]
