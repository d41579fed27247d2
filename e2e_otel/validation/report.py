"""The validation report: JSON for machines (checks in the order sent), a table for people
(worst first: server errors, then the other failures, warnings, passes; each in the order
sent), so a real 500 is the first line, not the 40th."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from e2e_otel.validation.models import CheckResult, ValidationReport

_MARK = {"pass": "PASS", "warning": "WARN", "fail": "FAIL"}


def report_to_json(report: ValidationReport) -> dict[str, Any]:
    """A JSON-able dict: base URL, thresholds, counts per status and every check."""
    return {
        "base_url": report.base_url,
        "thresholds": {"warning_ms": report.warning_ms, "critical_ms": report.critical_ms},
        "summary": {status: report.count(status) for status in ("pass", "warning", "fail")},
        "checks": [dataclasses.asdict(check) for check in report.checks],
    }


def render_json(report: ValidationReport) -> str:
    return json.dumps(report_to_json(report), indent=2) + "\n"


def render_table(report: ValidationReport) -> str:
    """One line per check (status, HTTP status, time, trace id, name), reasons indented below,
    worst first (:func:`severity`)."""
    lines = [f"{'':4} {'code':>4} {'ms':>7}  {'trace id':<32}  check"]
    for check in sorted(report.checks, key=severity):
        code = str(check.status_code) if check.status_code is not None else "-"
        millis = f"{check.response_ms:.1f}" if check.response_ms is not None else "-"
        lines.append(
            f"{_MARK[check.status]} {code:>4} {millis:>7}  {check.trace_id or '-':<32}  "
            f"{check.name}"
        )
        lines.extend(f"{'':14}error: {reason}" for reason in check.errors)
        lines.extend(f"{'':14}warning: {reason}" for reason in check.warnings)
    lines.append(
        f"{len(report.checks)} checks against {report.base_url}: {report.count('pass')} passed, "
        f"{report.count('warning')} warned, {report.count('fail')} failed "
        f"(response time warning {report.warning_ms:g} ms, critical {report.critical_ms:g} ms)"
    )
    return "\n".join(lines) + "\n"


def severity(check: CheckResult) -> int:
    """0 a server error (5xx), 1 another failure, 2 a warning, 3 a pass."""
    if check.status == "fail":
        return 0 if check.status_code is not None and check.status_code >= 500 else 1
    return 2 if check.status == "warning" else 3
