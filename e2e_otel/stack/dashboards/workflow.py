"""(b) Workflow drill-down: where a workflow's time goes, layer by layer; its errors; traces."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import CustomVariable, Dashboard, Row
from grafana_foundation_sdk.models import dashboard as dm

from e2e_otel import metrics as m
from e2e_otel.config import Config
from e2e_otel.stack.dashboards import _kit as k
from e2e_otel.stack.dashboards import _links as links
from e2e_otel.stack.dashboards import _panels as p

UID = "e2e-otel-workflow"


def threshold_variable(config: Config) -> CustomVariable:
    """``$threshold``: the trace list's minimum duration, the API warning threshold first."""
    api = config.thresholds.api
    choices = [f"{api.warning_ms:g}ms", f"{api.critical_ms:g}ms", "0ms"]
    return (
        CustomVariable("threshold")
        .label("Traces slower than")
        .values(",".join(choices))
        .options(
            [dm.VariableOption(selected=i == 0, text=c, value=c) for i, c in enumerate(choices)]
        )
        .current(dm.VariableOption(selected=True, text=choices[0], value=choices[0]))
        .allow_custom_value(True)
    )


def build(config: Config) -> Dashboard:
    """The drill-down dashboard; pick one workflow (or several) with ``$workflow``."""
    api = [*k.layer_scope(m.LAYER_API), k.ROUTE_VAR]
    board = k.variables(
        k.new_dashboard(
            UID,
            "e2e-otel / Workflow drill-down",
            "Where does a workflow spend its time (frontend, API, database), which routes are "
            "slow, what fails and why? Exemplars and the trace list lead to single traces.",
        )
    )
    board = board.with_variable(k.route_variable()).with_variable(threshold_variable(config))
    board = (
        board.with_row(Row("Latency by layer"))
        .with_panel(
            p.graph(
                "p95 duration per layer",
                "Dots are exemplars: click one to open its trace in Tempo.",
                [
                    k.prom(
                        k.quantile(m.SPAN_DURATION_BUCKET, k.SCOPE, [m.LAYER]),
                        k.legend(m.LAYER),
                        exemplar=True,
                    )
                ],
                "ms",
            )
        )
        .with_panel(
            p.graph(
                "Average duration per layer",
                "Mean span duration in each layer.",
                [
                    k.prom(
                        f"{k.rate_sum(m.SPAN_DURATION_SUM, k.SCOPE, [m.LAYER])} / "
                        f"{k.rate_sum(m.SPAN_DURATION_COUNT, k.SCOPE, [m.LAYER])}",
                        k.legend(m.LAYER),
                    )
                ],
                "ms",
            )
        )
        .with_panel(
            p.graph(
                "Span time per layer (share of wall time)",
                "Where the time goes: time in spans of each layer per second of wall time "
                "(100% = one span open at any moment on average). Layers nest, so the stack "
                "shows each layer's own spans.",
                [k.prom(k.busy_share(k.SCOPE, [m.LAYER]), k.legend(m.LAYER))],
                "percentunit",
                stacked=True,
            )
        )
        .with_panel(
            p.graph(
                "Database queries per request",
                "Database spans per API request. A high or growing number points at an N+1 "
                "query loop.",
                [k.prom(k.queries_per_request([m.WORKFLOW]), k.legend(m.WORKFLOW))],
                "none",
            )
        )
    )
    board = (
        board.with_row(Row("API routes"))
        .with_panel(
            p.grid(
                "Routes (selected time range)",
                "Requests per second, failed share and p95 per route over the time range.",
                p.refs(
                    [
                        (k.rate_sum(m.SPAN_CALLS, api, [m.WORKFLOW, m.HTTP_ROUTE], k.RANGE), ""),
                        (k.error_ratio(api, [m.WORKFLOW, m.HTTP_ROUTE], k.RANGE), ""),
                        (
                            k.quantile(
                                m.SPAN_DURATION_BUCKET,
                                api,
                                [m.WORKFLOW, m.HTTP_ROUTE],
                                window=k.RANGE,
                            ),
                            "",
                        ),
                    ]
                ),
                {
                    m.WORKFLOW: "workflow",
                    m.HTTP_ROUTE: "route",
                    "Value #A": "requests/s",
                    "Value #B": "failed",
                    "Value #C": "p95",
                },
                units={"requests/s": "reqps", "failed": "percentunit", "p95": "ms"},
                sort="p95",
                width=12,
                links={
                    "route": [
                        links.dashboard(
                            "Only this route",
                            UID,
                            {"workflow": "workflow", "route": "route"},
                        )
                    ]
                },
            )
        )
        .with_panel(
            p.graph(
                "p95 API response time per route",
                "Dashed lines: warning and critical thresholds. Dots are exemplars.",
                [
                    k.prom(
                        k.quantile(m.SPAN_DURATION_BUCKET, api, [m.HTTP_ROUTE]),
                        k.legend(m.HTTP_ROUTE),
                        exemplar=True,
                    )
                ],
                "ms",
                limit=config.thresholds.api,
            )
        )
    )
    board = (
        board.with_row(Row("Errors"))
        .with_panel(
            p.graph(
                "Errors by category",
                "Failed spans per second by e2e.error.category (includes 4xx answers, which "
                "keep status UNSET but still get a category).",
                [
                    k.prom(
                        k.rate_sum(m.SPAN_CALLS, [*k.SCOPE, k.CATEGORIZED], [m.ERROR_CATEGORY]),
                        k.legend(m.ERROR_CATEGORY),
                    )
                ],
                "ops",
                stacked=True,
            )
        )
        .with_panel(
            p.graph(
                "Spans with ERROR status per layer",
                "Spans per second with ERROR status, by layer.",
                [
                    k.prom(
                        k.rate_sum(m.SPAN_CALLS, [*k.SCOPE, k.FAILED], [m.LAYER]),
                        k.legend(m.LAYER),
                    )
                ],
                "ops",
            )
        )
        .with_panel(
            p.grid(
                "Errors by category, layer and route (selected time range)",
                "Number of categorized spans over the time range.",
                p.refs(
                    [
                        (
                            k.increase_sum(
                                m.SPAN_CALLS,
                                [*k.SCOPE, k.CATEGORIZED],
                                [m.WORKFLOW, m.LAYER, m.ERROR_CATEGORY, m.HTTP_ROUTE],
                            ),
                            "",
                        )
                    ]
                ),
                {
                    m.WORKFLOW: "workflow",
                    m.LAYER: "layer",
                    m.ERROR_CATEGORY: "category",
                    m.HTTP_ROUTE: "route",
                    "Value": "spans",
                },
                units={"spans": "short"},
                sort="spans",
            )
        )
    )
    return board.with_row(Row("Traces")).with_panel(
        p.traces(
            "Slowest requests of the workflow",
            "Traces of the selected workflows and routes in Tempo (TraceQL) with a server span "
            "slower than $threshold, longest first; click a trace id. Tempo returns the most "
            "recent matches, so the duration filter is what keeps the list to slow requests.",
            '{ span.e2e.workflow.type =~ "${workflow:regex}" && '
            'resource.service.name =~ "${service:regex}" && '
            'span.http.route =~ "${route:regex}" && kind = server && duration > $threshold }',
        )
    )
