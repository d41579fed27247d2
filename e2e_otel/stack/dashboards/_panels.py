"""Panel factories shared by the dashboards (time series, stat, bars, tables, traces)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grafana_foundation_sdk.builders import bargauge, stat, table, timeseries
from grafana_foundation_sdk.builders.common import (
    GraphThresholdsStyleConfig,
    ReduceDataOptions,
    StackingConfig,
    TableSortByFieldState,
    VizLegendOptions,
)
from grafana_foundation_sdk.builders.dashboard import ThresholdsConfig
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.builders.tempo import TempoQuery
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models.common import (
    BarGaugeDisplayMode,
    BigValueColorMode,
    FieldTextAlignment,
    GraphThresholdsStyleMode,
    LegendDisplayMode,
    LegendPlacement,
    StackingMode,
)

from e2e_otel.config import Threshold
from e2e_otel.stack.dashboards._kit import PROMETHEUS, TEMPO, prom


def levels(*steps: tuple[float, str], base: str = "green") -> ThresholdsConfig:
    """``base`` (green), then each ``(from value, color)`` step."""
    colors = [dm.Threshold(value=None, color=base)]
    colors += [dm.Threshold(value=value, color=color) for value, color in steps]
    return ThresholdsConfig().mode(dm.ThresholdsMode.ABSOLUTE).steps(colors)


def thresholds(limit: Threshold | None) -> ThresholdsConfig:
    """Green below the warning threshold, yellow up to critical, red above."""
    if limit is None:
        return levels()
    return levels((limit.warning_ms, "yellow"), (limit.critical_ms, "red"))


#: Health scores (0-100): red below 50, yellow below 80, green from 80.
SCORE_LEVELS = ((50.0, "yellow"), (80.0, "green"))


def score_levels() -> ThresholdsConfig:
    """Red low, green high: the colors of a 0-100 health score."""
    return levels(*SCORE_LEVELS, base="red")


def graph(
    title: str,
    description: str,
    queries: Sequence[Dataquery],
    unit: str,
    *,
    width: int = 12,
    limit: Threshold | None = None,
    lines: ThresholdsConfig | None = None,
    stacked: bool = False,
) -> timeseries.Panel:
    """A time series panel; with ``limit`` the warning/critical thresholds (or other
    ``lines``) are drawn as dashed lines."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .targets(list(queries))
        .unit(unit)
        .span(width)
        .height(8)
        .fill_opacity(10 if not stacked else 60)
        .legend(
            VizLegendOptions()
            .display_mode(LegendDisplayMode.TABLE)
            .placement(LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["mean", "max", "lastNotNull"])
        )
    )
    if limit is not None or lines is not None:
        drawn = lines if lines is not None else thresholds(limit)
        panel = panel.thresholds(drawn).thresholds_style(
            GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.DASHED)
        )
    if stacked:
        panel = panel.stacking(StackingConfig().mode(StackingMode.NORMAL))
    return panel


def single(
    title: str,
    description: str,
    query: Dataquery,
    unit: str,
    limits: ThresholdsConfig | None = None,
    *,
    width: int = 6,
) -> stat.Panel:
    """A single-value stat panel, colored by ``limits``."""
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .with_target(query)
        .unit(unit)
        .span(width)
        .height(5)
        .color_mode(BigValueColorMode.BACKGROUND)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .thresholds(limits or levels())
    )


def bars(
    title: str,
    description: str,
    query: Dataquery,
    unit: str,
    *,
    width: int = 12,
    limits: ThresholdsConfig | None = None,
    scale: tuple[float, float] | None = None,
) -> bargauge.Panel:
    """Horizontal bars, one per series (e.g. per workflow), colored by ``limits`` on a fixed
    ``(min, max)`` scale when given (else Grafana's: green base, red from 80)."""
    panel = (
        bargauge.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .with_target(query)
        .unit(unit)
        .span(width)
        .height(8)
        .display_mode(BarGaugeDisplayMode.GRADIENT)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    if limits is not None:
        panel = panel.thresholds(limits)
    if scale is not None:
        panel = panel.min(scale[0]).max(scale[1])
    return panel


def grid(
    title: str,
    description: str,
    queries: Sequence[Dataquery],
    columns: dict[str, str],
    *,
    units: dict[str, str] | None = None,
    sort: str | None = None,
    width: int = 24,
    height: int = 9,
    links: dict[str, list[dict[str, Any]]] | None = None,
    mappings: dict[str, list[dict[str, Any]]] | None = None,
) -> table.Panel:
    """A table joining instant queries on their labels.

    ``columns`` renames fields (``"Value #A"`` -> ``"calls/s"``) and orders them; every other
    field (``Time``, ``__name__``, ``instance``, ``job``, ...) is left out. ``links`` and
    ``mappings`` are data links and value mappings per (renamed) column.
    """
    panel = (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .align(FieldTextAlignment.AUTO)
        .inspect(False)
        .targets(list(queries))
        .span(width)
        .height(height)
        .with_transformation(dm.DataTransformerConfig(id_val="merge", options={}))
        .with_transformation(
            dm.DataTransformerConfig(
                id_val="filterFieldsByName",
                options={"include": {"names": list(columns)}},
            )
        )
        .with_transformation(
            dm.DataTransformerConfig(
                id_val="organize",
                options={
                    "excludeByName": {},
                    "renameByName": dict(columns),
                    "indexByName": {name: i for i, name in enumerate(columns)},
                },
            )
        )
    )
    if sort is not None:
        panel = panel.sort_by([TableSortByFieldState().display_name(sort).desc(True)])
    for column, unit in (units or {}).items():
        panel = panel.override_by_name(column, [dm.DynamicConfigValue(id_val="unit", value=unit)])
    for column, column_links in (links or {}).items():
        panel = panel.override_by_name(
            column, [dm.DynamicConfigValue(id_val="links", value=column_links)]
        )
    for column, column_mappings in (mappings or {}).items():
        panel = panel.override_by_name(
            column,
            [
                dm.DynamicConfigValue(id_val="mappings", value=column_mappings),
                dm.DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-text"}),
            ],
        )
    return panel


def refs(queries: Sequence[tuple[str, str]]) -> list[Dataquery]:
    """Instant table queries A, B, C, ... from ``(expr, legend)`` pairs."""
    return [
        prom(expr, legend, chr(ord("A") + i), instant=True)
        for i, (expr, legend) in enumerate(queries)
    ]


def traces(title: str, description: str, traceql: str, sort: str = "Duration") -> table.Panel:
    """A Tempo search shown as a table of traces (links open the trace view), sorted by the
    ``sort`` column, largest first (Tempo returns the most recent matches)."""
    return (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(TEMPO)
        .align(FieldTextAlignment.AUTO)
        .inspect(False)
        .with_target(
            TempoQuery()
            .ref_id("A")
            .datasource(TEMPO)
            .query_type("traceql")
            .query(traceql)
            .limit(20)
        )
        .sort_by([TableSortByFieldState().display_name(sort).desc(True)])
        .span(24)
        .height(9)
    )
