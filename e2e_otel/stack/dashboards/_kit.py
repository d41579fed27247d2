"""Shared pieces of the dashboards: datasources, PromQL fragments, variables, dashboard frame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from grafana_foundation_sdk.builders.dashboard import (
    AnnotationQuery,
    AnnotationTarget,
    Dashboard,
    DashboardLink,
    QueryVariable,
)
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from e2e_otel import metrics as m
from e2e_otel.stack.rules import LAYERS

#: Datasource UIDs fixed by grafana/provisioning/datasources/datasources.yaml.
PROMETHEUS_UID: Final = "prometheus"
TEMPO_UID: Final = "tempo"
PROMETHEUS: Final = dm.DataSourceRef(type_val="prometheus", uid=PROMETHEUS_UID)
TEMPO: Final = dm.DataSourceRef(type_val="tempo", uid=TEMPO_UID)
TAG: Final = "e2e-otel"

RATE: Final = "$__rate_interval"
RANGE: Final = "$__range"
SERVICE_VAR: Final = f'{m.SERVICE}=~"$service"'
WORKFLOW_VAR: Final = f'{m.WORKFLOW}=~"$workflow"'
SERVER_SPANS: Final = f'{m.SPAN_KIND}="{m.KIND_SERVER}"'
FAILED: Final = f'{m.STATUS_CODE}="{m.STATUS_ERROR}"'


def layer(name: str) -> str:
    """Matcher for one value of the ``e2e_layer`` label."""
    return f'{m.LAYER}="{name}"'


def legend(*labels: str, sep: str = " ") -> str:
    """Grafana legend template showing ``labels``: ``{{a}} {{b}}``."""
    return sep.join(f"{{{{{label}}}}}" for label in labels)


def selector(metric: str, matchers: Sequence[str]) -> str:
    """``metric{m1, m2}``, or ``metric`` without matchers."""
    return f"{metric}{{{', '.join(matchers)}}}" if matchers else metric


def total(labels: Sequence[str], inner: str) -> str:
    """``sum by (labels) (inner)``, or ``sum(inner)`` without labels."""
    return f"sum by ({', '.join(labels)}) ({inner})" if labels else f"sum({inner})"


def rate_sum(
    metric: str, matchers: Sequence[str], labels: Sequence[str] = (), window: str = RATE
) -> str:
    """``sum by (labels) (rate(metric{matchers}[window]))``."""
    return total(labels, f"rate({selector(metric, matchers)}[{window}])")


def increase_sum(metric: str, matchers: Sequence[str], labels: Sequence[str] = ()) -> str:
    """Total over the dashboard's time range."""
    return total(labels, f"increase({selector(metric, matchers)}[{RANGE}])")


def quantile(
    bucket: str,
    matchers: Sequence[str],
    labels: Sequence[str] = (),
    q: float = 0.95,
    window: str = RATE,
) -> str:
    """``histogram_quantile`` over the classic-histogram ``bucket`` series."""
    return f"histogram_quantile({q}, {rate_sum(bucket, matchers, [m.LE, *labels], window)})"


def share(part: str, whole: str) -> str:
    """``part / whole`` that is 0, not absent, where ``whole`` has series but ``part`` none."""
    return f"({part} or {whole} * 0) / {whole}"


def error_ratio(matchers: Sequence[str], labels: Sequence[str], window: str = RATE) -> str:
    """Failed / all spans matching ``matchers``."""
    return share(
        rate_sum(m.SPAN_CALLS, [*matchers, FAILED], labels, window),
        rate_sum(m.SPAN_CALLS, matchers, labels, window),
    )


SCOPE: Final = (SERVICE_VAR, WORKFLOW_VAR)
CATEGORIZED: Final = f'{m.ERROR_CATEGORY}!=""'


def layer_scope(name: str) -> list[str]:
    """The selected spans of one layer, measured like the latency alerts measure it."""
    spec = next(s for s in LAYERS if s.layer == name)
    return [*SCOPE, layer(name), *filter(None, [spec.matchers])]


def queries_per_request(labels: Sequence[str]) -> str:
    """Database spans per API request: the N+1 indicator."""
    queries = rate_sum(m.SPAN_CALLS, [*SCOPE, layer(m.LAYER_DATABASE)], labels)
    requests = rate_sum(m.SPAN_CALLS, [*SCOPE, layer(m.LAYER_API), SERVER_SPANS], labels)
    return f"{queries} / {requests}"


def busy_share(matchers: Sequence[str], labels: Sequence[str]) -> str:
    """Seconds in spans per second of wall time (the span-duration sum is in milliseconds)."""
    return f"{rate_sum(m.SPAN_DURATION_SUM, matchers, labels)} / 1000"


#: Health rows of the analyzer: a workflow row has no service, a service row no workflow.
WORKFLOW_HEALTH: Final = (f'{m.HEALTH_SERVICE}=""', f'{m.HEALTH_WORKFLOW}=~"$workflow"')
SERVICE_HEALTH: Final = (f'{m.HEALTH_SERVICE}=~"$service"', f'{m.HEALTH_WORKFLOW}=""')


def prom(
    expr: str,
    legend: str = "",
    ref: str = "A",
    *,
    instant: bool = False,
    exemplar: bool = False,
) -> Dataquery:
    """A Prometheus query; instant queries come back as a table (one row per series)."""
    query = Dataquery().expr(expr).ref_id(ref).datasource(PROMETHEUS)
    if legend:
        query = query.legend_format(legend)
    query = query.instant().format(PromQueryFormat.TABLE) if instant else query.range()
    if exemplar:
        query = query.exemplar(True)
    return query


def service_variable() -> QueryVariable:
    """``$service``: multi-value, "All" matches every series."""
    return (
        QueryVariable("service")
        .label("Service")
        .datasource(PROMETHEUS)
        .query(f"label_values({m.SPAN_CALLS}, {m.SERVICE})")
        .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dm.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
    )


def workflow_variable() -> QueryVariable:
    """``$workflow`` of the selected services; "All" also matches spans outside any workflow."""
    return (
        QueryVariable("workflow")
        .label("Workflow")
        .datasource(PROMETHEUS)
        .query(f"label_values({selector(m.SPAN_CALLS, [SERVICE_VAR])}, {m.WORKFLOW})")
        .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dm.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
    )


#: Our alerts (rules.py), as the built-in ``ALERTS`` series shows them.
_FIRING = [f'{m.ALERT_STATE}="firing"', f'{m.ALERT_NAME}=~"E2E.+"']
FIRING_ALERTS: Final = selector(m.ALERTS, _FIRING)
_CRITICAL = selector(m.ALERTS, [*_FIRING, f'{m.SEVERITY}="critical"'])
_BELOW_CRITICAL = selector(m.ALERTS, [*_FIRING, f'{m.SEVERITY}!="critical"'])
#: One series per firing alert subject, at its highest severity: above the critical threshold
#: the warning rule fires too, and would otherwise be counted (and listed) twice.
FIRING_ONCE: Final = f"{_CRITICAL} or ignoring({m.SEVERITY}) {_BELOW_CRITICAL}"


ROUTE_VAR: Final = f'{m.HTTP_ROUTE}=~"$route"'


def route_variable() -> QueryVariable:
    """``$route``: API routes of the selected services and workflows; "All" matches every span."""
    api = [SERVICE_VAR, WORKFLOW_VAR, layer(m.LAYER_API)]
    return (
        QueryVariable("route")
        .label("Route")
        .datasource(PROMETHEUS)
        .query(f"label_values({selector(m.SPAN_CALLS, api)}, {m.HTTP_ROUTE})")
        .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dm.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
    )


def variables(board: Dashboard) -> Dashboard:
    """Adds ``$service`` and ``$workflow``."""
    return board.with_variable(service_variable()).with_variable(workflow_variable())


def new_dashboard(uid: str, title: str, description: str) -> Dashboard:
    """A dashboard with our defaults, a menu linking to the other e2e-otel dashboards, and
    annotations: firing e2e-otel alerts, and the analyzer's Grafana annotations (tag e2e-otel).
    """
    return (
        Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([TAG])
        .time("now-1h", "now")
        .refresh("30s")
        .timezone("browser")
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .link(
            DashboardLink("e2e-otel")
            .type(dm.DashboardLinkType.DASHBOARDS)
            .tags([TAG])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
        .annotation(
            AnnotationQuery()
            .name("e2e-otel alerts")
            .datasource(PROMETHEUS)
            .expr(FIRING_ALERTS)
            .icon_color("red")
            .enable(True)
        )
        .annotation(
            AnnotationQuery()
            .name("e2e-otel findings")
            .datasource(dm.DataSourceRef(type_val="grafana", uid="-- Grafana --"))
            .target(AnnotationTarget().type("tags").tags([TAG]).match_any(True).limit(100))
            .icon_color("orange")
            .enable(True)
        )
    )
