"""(e) Service graph: who calls whom (services, databases), how often, how fast, how reliably."""

from __future__ import annotations

from grafana_foundation_sdk.builders import nodegraph
from grafana_foundation_sdk.builders.dashboard import Dashboard, Row
from grafana_foundation_sdk.builders.tempo import TempoQuery

from e2e_otel import metrics as m
from e2e_otel.config import Config
from e2e_otel.stack.dashboards import _kit as k
from e2e_otel.stack.dashboards import _panels as p

UID = "e2e-otel-service-graph"
EDGE = [m.CLIENT, m.SERVER]
#: Edges leaving the selected services (a database edge's client is the service).
FROM_SERVICE = [f'{m.CLIENT}=~"$service"']


def failed_share(labels: list[str], window: str = k.RATE) -> str:
    """Failed / all requests per edge."""
    return k.share(
        k.rate_sum(m.SERVICE_GRAPH_FAILED, FROM_SERVICE, labels, window),
        k.rate_sum(m.SERVICE_GRAPH_REQUESTS, FROM_SERVICE, labels, window),
    )


def edges_seen(labels: list[str]) -> str:
    """0 per edge that had requests within ``$__range``.

    The collector writes an edge's counters only while spans cross it, so 5 minutes after the
    traffic stops Prometheus marks them stale and ``rate()`` returns nothing: the panel would
    say "No data" for an edge that exists but is idle. ``rate(...) or edges_seen`` shows 0.
    """
    seen = f"last_over_time({k.selector(m.SERVICE_GRAPH_REQUESTS, FROM_SERVICE)}[{k.RANGE}])"
    return f"{k.total(labels, seen)} * 0"


def build(config: Config) -> Dashboard:
    """The service-graph dashboard: Tempo's service map plus the edge metrics behind it."""
    board = k.new_dashboard(
        UID,
        "e2e-otel / Service graph",
        "Which services and databases talk to each other, with request rate, failures and "
        "latency per edge (traces_service_graph_* metrics).",
    ).with_variable(k.service_variable())
    edge_legend = k.legend(m.CLIENT, m.SERVER, sep=" → ")
    return (
        board.with_row(Row("Map"))
        .with_panel(
            nodegraph.Panel()
            .title("Service map")
            .description(
                "Grafana's service map from the Tempo datasource, drawn from the service-graph "
                "metrics in Prometheus."
            )
            .datasource(k.TEMPO)
            .with_target(TempoQuery().ref_id("A").datasource(k.TEMPO).query_type("serviceMap"))
            .span(24)
            .height(14)
        )
        .with_row(Row("Edges"))
        .with_panel(
            p.grid(
                "Edges (selected time range)",
                "Requests per second, failed share and p95 (server side) per edge.",
                p.refs(
                    [
                        (
                            k.rate_sum(
                                m.SERVICE_GRAPH_REQUESTS,
                                FROM_SERVICE,
                                [*EDGE, m.CONNECTION_TYPE],
                                k.RANGE,
                            ),
                            "",
                        ),
                        (failed_share([*EDGE, m.CONNECTION_TYPE], k.RANGE), ""),
                        (
                            k.quantile(
                                m.SERVICE_GRAPH_SERVER_SECONDS_BUCKET,
                                FROM_SERVICE,
                                [*EDGE, m.CONNECTION_TYPE],
                                window=k.RANGE,
                            ),
                            "",
                        ),
                    ]
                ),
                {
                    m.CLIENT: "client",
                    m.SERVER: "server",
                    m.CONNECTION_TYPE: "type",
                    "Value #A": "requests/s",
                    "Value #B": "failed",
                    "Value #C": "p95",
                },
                units={"requests/s": "reqps", "failed": "percentunit", "p95": "s"},
                sort="requests/s",
            )
        )
        .with_panel(
            p.graph(
                "Requests per edge",
                "Requests per second from client to server; 0 while an edge seen in the time "
                "range has no traffic.",
                [
                    k.prom(
                        f"{k.rate_sum(m.SERVICE_GRAPH_REQUESTS, FROM_SERVICE, EDGE)} "
                        f"or {edges_seen(EDGE)}",
                        edge_legend,
                    )
                ],
                "reqps",
                width=8,
            )
        )
        .with_panel(
            p.graph(
                "Failed requests per edge",
                "Share of failed requests per edge; 0 while an edge seen in the time range "
                "has no traffic.",
                [k.prom(f"{failed_share(EDGE)} or {edges_seen(EDGE)}", edge_legend)],
                "percentunit",
                width=8,
            )
        )
        .with_panel(
            p.graph(
                "p95 latency per edge",
                "95th percentile of the server-side duration of each edge. An idle edge has "
                "no latency, so it has no line here (rather than a misleading 0).",
                [
                    k.prom(
                        k.quantile(m.SERVICE_GRAPH_SERVER_SECONDS_BUCKET, FROM_SERVICE, EDGE),
                        edge_legend,
                    )
                ],
                "s",
                width=8,
            )
        )
    )
