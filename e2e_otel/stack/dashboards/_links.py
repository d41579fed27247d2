"""Data links of table cells: to a trace in Tempo, to another e2e-otel dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from e2e_otel.stack.dashboards._kit import TEMPO_UID


def field(column: str) -> str:
    """The value of ``column`` in the clicked row, URL-encoded (Grafana's data-link syntax)."""
    return f'${{__data.fields["{column}"]:percentencode}}'


def trace(title: str = "Open trace in Tempo") -> dict[str, Any]:
    """Opens the trace whose id is the clicked cell's value, in Explore on the Tempo datasource."""
    return {
        "title": title,
        "url": "",
        "internal": {
            "datasourceUid": TEMPO_UID,
            "datasourceName": "Tempo",
            "query": {"queryType": "traceql", "query": "${__value.raw}"},
        },
    }


def dashboard(
    title: str, uid: str, fields: dict[str, str], keep: Sequence[str] = ("service",)
) -> dict[str, Any]:
    """Opens dashboard ``uid`` on the same time range, with each variable of ``fields`` set
    from a column of the clicked row (``{"workflow": "workflow"}``) and the variables of
    ``keep`` as they are selected here."""
    query = [f"${{{name}:queryparam}}" for name in keep]
    query += [f"var-{name}={field(column)}" for name, column in fields.items()]
    return {"title": title, "url": f"/d/{uid}/?${{__url_time_range}}&{'&'.join(query)}"}
