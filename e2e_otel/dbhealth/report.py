"""The ``db health`` report as JSON (``--json``) and as text (stdout)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from e2e_otel.dbhealth.models import HealthReport

SCHEMA_VERSION = "1"


def report_to_json(report: HealthReport) -> dict[str, Any]:
    """Plain JSON-able dict; digests carry their ``examined_per_sent`` ratio too."""
    data = dataclasses.asdict(report)
    data["schema_version"] = SCHEMA_VERSION
    data["generated_at"] = report.generated_at.isoformat()
    if report.digests is not None:
        for row, digest in zip(data["digests"]["digests"], report.digests.digests, strict=True):
            row["examined_per_sent"] = round(digest.examined_per_sent, 3)
    return data


def render_json(report: HealthReport) -> str:
    return json.dumps(report_to_json(report), indent=2, sort_keys=True) + "\n"


def render_text(report: HealthReport, digest_rows: int = 10) -> str:
    """A readable summary: connections, top statements, findings, migrations, orphans."""
    if not report.connected:
        return f"{report.dsn}: NOT CONNECTED: {report.error}\n"
    lines = [f"{report.dsn}: connected"]
    status = report.status
    if status is not None:
        lines.append(
            f"  server {status.version}; connections {status.threads_connected} of "
            f"{status.max_connections} (max used {status.max_used_connections}); "
            f"aborted connects {status.aborted_connects}"
        )
    digests = report.digests
    if digests is not None and not digests.available:
        lines.append(f"  statement digests: unavailable: {digests.note}")
    elif digests is not None:
        lines.append(f"  top statements by total latency ({len(digests.digests)} read):")
        for d in digests.digests[:digest_rows]:
            lines.append(
                f"    {d.fingerprint_id} calls={d.calls} total={d.total_latency_ms:g}ms "
                f"examined/sent={d.examined_per_sent:,.1f} no_index={d.no_index_used} "
                f"{d.fingerprint[:80]}"
            )
    for rec in report.recommendations:
        lines.append(f"  [{rec.priority}] {rec.title}")
        lines.extend(f"      - {step}" for step in rec.steps)
    migrations = report.migrations
    if migrations is None:
        lines.append("  migrations and orphaned rows: not checked (needs --django-settings)")
    else:
        unapplied = ", ".join(f"{m.app}.{m.name}" for m in migrations.unapplied) or "none"
        lines.append(f"  unapplied migrations: {unapplied}")
        changes = "; ".join(f"{c.app}: {c.description}" for c in migrations.changes) or "none"
        lines.append(f"  model changes without a migration: {changes}")
        for check in report.orphans:
            rel = check.relation
            where = f"{rel.table}.{rel.column} -> {rel.parent_table}.{rel.parent_column}"
            if check.error:
                lines.append(f"  orphans in {where}: not counted: {check.error}")
            else:
                count = f"{'at least ' if check.capped else ''}{check.orphaned_rows}"
                lines.append(f"  orphaned rows in {where} ({check.reason}): {count}")
    lines.extend(f"  problem: {problem}" for problem in report.problems)
    return "\n".join(lines) + "\n"
