"""Grafana dashboards, generated with grafana-foundation-sdk (``pip install 'e2e-otel[stack]'``).

``render_dashboards()`` gives the JSON files committed under ``grafana/dashboards/``;
``dashboard_queries()`` lists every PromQL expression in them, so a test can run each one
against a real Prometheus.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, NamedTuple

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from e2e_otel.config import Config
from e2e_otel.stack.dashboards import (
    database,
    findings,
    overview,
    pipeline,
    service_graph,
    workflow,
)
from e2e_otel.stack.dashboards._kit import PROMETHEUS_UID, TEMPO_UID

__all__ = [
    "DASHBOARDS",
    "PROMETHEUS_UID",
    "TEMPO_UID",
    "DashboardQuery",
    "build_dashboards",
    "dashboard_queries",
    "render_dashboards",
]

#: File name -> builder, in the order of docs/dashboards.md.
DASHBOARDS: Final[Mapping[str, Callable[[Config], Dashboard]]] = {
    "overview.json": overview.build,
    "workflow.json": workflow.build,
    "database.json": database.build,
    "findings.json": findings.build,
    "service-graph.json": service_graph.build,
    "pipeline.json": pipeline.build,
}


class DashboardQuery(NamedTuple):
    """One PromQL expression of a dashboard: a panel target, an annotation or a variable."""

    dashboard: str
    panel: str
    expr: str


def build_dashboards(config: Config | None = None) -> dict[str, dict[str, Any]]:
    """File name -> dashboard JSON model (panel ids numbered in layout order)."""
    result = {}
    for name, build in DASHBOARDS.items():
        model = build(config or Config()).build()
        for number, panel in enumerate(model.panels or [], start=1):
            panel.id_val = number
        result[name] = json.loads(JSONEncoder().encode(model))
    return result


def render_dashboards(config: Config | None = None) -> dict[str, str]:
    """File name -> JSON text, keys sorted, so regenerated files diff cleanly."""
    return {
        name: json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        for name, model in build_dashboards(config).items()
    }


def dashboard_queries(config: Config | None = None) -> list[DashboardQuery]:
    """Every Prometheus expression of every dashboard, with Grafana variables unsubstituted.

    Panel targets, annotation queries and the series selectors inside ``label_values()``
    variable queries; Tempo (TraceQL, service map) targets are not PromQL and are left out.
    """
    found: list[DashboardQuery] = []
    for model in build_dashboards(config).values():
        title = model["title"]
        for panel in _panels(model.get("panels", [])):
            for target in panel.get("targets", []):
                if _is_prometheus(target.get("datasource") or panel.get("datasource")):
                    found.append(DashboardQuery(title, panel["title"], target["expr"]))
        for annotation in model.get("annotations", {}).get("list", []):
            if _is_prometheus(annotation.get("datasource")) and annotation.get("expr"):
                found.append(
                    DashboardQuery(title, f"annotation {annotation['name']}", annotation["expr"])
                )
        for variable in model.get("templating", {}).get("list", []):
            query = variable.get("query")
            if _is_prometheus(variable.get("datasource")) and isinstance(query, str):
                found.append(DashboardQuery(title, f"variable ${variable['name']}", _series(query)))
    return found


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def _is_prometheus(datasource: object) -> bool:
    return isinstance(datasource, dict) and datasource.get("uid") == PROMETHEUS_UID


def _series(variable_query: str) -> str:
    """The series selector of ``label_values(SELECTOR, label)``."""
    inner = variable_query.removeprefix("label_values(").removesuffix(")")
    return inner.rsplit(",", 1)[0].strip()
