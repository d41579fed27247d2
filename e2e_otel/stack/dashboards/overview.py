"""(a) Overview: rate, errors and duration per workflow and layer; health at a glance."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row

from e2e_otel import metrics as m
from e2e_otel.config import Config
from e2e_otel.stack.dashboards import _kit as k
from e2e_otel.stack.dashboards import _links as links
from e2e_otel.stack.dashboards import _panels as p
from e2e_otel.stack.dashboards import workflow

UID = "e2e-otel-overview"
REQUESTS = [*k.SCOPE, k.SERVER_SPANS]


def build(config: Config) -> Dashboard:
    """The overview dashboard; stat colors follow the configured thresholds."""
    t = config.thresholds
    board = k.variables(
        k.new_dashboard(
            UID,
            "e2e-otel / Overview",
            "Which workflow is slow or failing, and in which layer? Rate, errors and duration "
            "(RED) per workflow and layer, from the collector's span metrics.",
        )
    )
    errors = p.levels((t.errors.warning_ratio, "yellow"), (t.errors.critical_ratio, "red"))
    board = (
        board.with_row(Row("Health"))
        .with_panel(
            p.single(
                "Requests/s",
                "Server spans per second (each is one request a service answered).",
                k.prom(k.rate_sum(m.SPAN_CALLS, REQUESTS)),
                "reqps",
                width=4,
            )
        )
        .with_panel(
            p.single(
                "Failed requests",
                "Share of server spans with ERROR status (5xx, unhandled exceptions). "
                "4xx answers are not failures of the service; see errors by category.",
                k.prom(k.error_ratio(REQUESTS, [])),
                "percentunit",
                errors,
                width=4,
            )
        )
        .with_panel(
            p.single(
                "p95 API response time",
                "95th percentile of API (server) span durations.",
                k.prom(k.quantile(m.SPAN_DURATION_BUCKET, k.layer_scope(m.LAYER_API))),
                "ms",
                p.thresholds(t.api),
                width=4,
            )
        )
        .with_panel(
            p.single(
                "p95 database query time",
                "95th percentile of database span durations.",
                k.prom(k.quantile(m.SPAN_DURATION_BUCKET, k.layer_scope(m.LAYER_DATABASE))),
                "ms",
                p.thresholds(t.database),
                width=4,
            )
        )
        .with_panel(
            p.single(
                "p95 frontend render time",
                "95th percentile of frontend span durations, browser fetches excluded.",
                k.prom(k.quantile(m.SPAN_DURATION_BUCKET, k.layer_scope(m.LAYER_FRONTEND))),
                "ms",
                p.thresholds(t.frontend),
                width=4,
            )
        )
        .with_panel(
            p.single(
                "Firing alerts",
                "e2e-otel alerts firing now (latency, error-ratio and pipeline rules), each "
                "counted once: above the critical threshold the warning rule fires too.",
                k.prom(f"count({k.FIRING_ONCE}) or vector(0)"),
                "none",
                p.levels((1, "red")),
                width=4,
            )
        )
    )
    board = (
        board.with_row(Row("Workflows"))
        .with_panel(
            p.graph(
                "Requests per workflow",
                "Server spans per second, by workflow.",
                [k.prom(k.rate_sum(m.SPAN_CALLS, REQUESTS, [m.WORKFLOW]), k.legend(m.WORKFLOW))],
                "reqps",
            )
        )
        .with_panel(
            p.graph(
                "Failed requests per workflow",
                "Share of server spans with ERROR status, by workflow.",
                [k.prom(k.error_ratio(REQUESTS, [m.WORKFLOW]), k.legend(m.WORKFLOW))],
                "percentunit",
            )
        )
        .with_panel(
            p.graph(
                "p95 API response time per workflow",
                "Dashed lines: warning and critical thresholds. Dots are exemplars: click one "
                "to open its trace in Tempo.",
                [
                    k.prom(
                        k.quantile(
                            m.SPAN_DURATION_BUCKET, k.layer_scope(m.LAYER_API), [m.WORKFLOW]
                        ),
                        k.legend(m.WORKFLOW),
                        exemplar=True,
                    )
                ],
                "ms",
                limit=t.api,
            )
        )
        .with_panel(
            p.bars(
                "Health score per workflow (analyzer)",
                "0-100 per workflow (red below 50, green from 80), computed by `e2e-otel "
                "analyze`; empty until the analyzer runs. A workflow's score covers all of its "
                "services, so the Service selection does not filter it.",
                k.prom(k.selector(m.HEALTH_SCORE, k.WORKFLOW_HEALTH), k.legend(m.HEALTH_WORKFLOW)),
                "none",
                limits=p.score_levels(),
                scale=(0, 100),
            )
        )
    )
    return (
        board.with_row(Row("Layers"))
        .with_panel(
            p.graph(
                "p95 duration per layer",
                "95th percentile of span durations in each layer.",
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
                "Span time per layer (share of wall time)",
                "Time spent in spans of each layer per second of wall time (100% = on average "
                "one span of the layer open at any moment; concurrent spans go above). Layers "
                "nest (an API span contains its queries), so they do not add up.",
                [k.prom(k.busy_share(k.SCOPE, [m.LAYER]), k.legend(m.LAYER))],
                "percentunit",
            )
        )
        .with_panel(
            p.grid(
                "RED per workflow and layer (selected time range)",
                "Spans per second, failed share and p95 over the whole time range.",
                p.refs(
                    [
                        (k.rate_sum(m.SPAN_CALLS, k.SCOPE, [m.WORKFLOW, m.LAYER], k.RANGE), ""),
                        (k.error_ratio(k.SCOPE, [m.WORKFLOW, m.LAYER], k.RANGE), ""),
                        (
                            k.quantile(
                                m.SPAN_DURATION_BUCKET,
                                k.SCOPE,
                                [m.WORKFLOW, m.LAYER],
                                window=k.RANGE,
                            ),
                            "",
                        ),
                    ]
                ),
                {
                    m.WORKFLOW: "workflow",
                    m.LAYER: "layer",
                    "Value #A": "spans/s",
                    "Value #B": "failed",
                    "Value #C": "p95",
                },
                units={"spans/s": "ops", "failed": "percentunit", "p95": "ms"},
                sort="spans/s",
                links={
                    "workflow": [
                        links.dashboard(
                            "Workflow drill-down", workflow.UID, {"workflow": "workflow"}
                        )
                    ]
                },
            )
        )
    )
