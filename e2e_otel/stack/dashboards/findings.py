"""(d) Regressions and recommendations: the analyzer's findings, regressions, alerts."""

from __future__ import annotations

from grafana_foundation_sdk.builders import annotationslist
from grafana_foundation_sdk.builders.dashboard import Dashboard, Row

from e2e_otel import metrics as m
from e2e_otel.config import Config
from e2e_otel.stack.dashboards import _kit as k
from e2e_otel.stack.dashboards import _links as links
from e2e_otel.stack.dashboards import _panels as p
from e2e_otel.stack.dashboards import database, workflow

UID = "e2e-otel-findings"
SCOPE = [f'{m.FINDING_WORKFLOW}=~"$workflow"']
FINDINGS = k.selector(m.FINDING_INFO, SCOPE)
#: The gauge is 1 per finding; times its priority's rank, it sorts high > medium > low.
RANKS = {"high": 3, "medium": 2, "low": 1}
RANKED = " or ".join(
    k.selector(m.FINDING_INFO, [*SCOPE, f'{m.FINDING_PRIORITY}="{priority}"']) + f" * {rank}"
    for priority, rank in RANKS.items()
)
SEVERITY_MAPPING = {
    "type": "value",
    "options": {
        str(rank): {"text": priority, "color": color, "index": i}
        for i, ((priority, rank), color) in enumerate(
            zip(RANKS.items(), ("red", "orange", "blue"), strict=True)
        )
    },
}
FINDING_COLUMNS = {
    "Value": "severity",
    m.FINDING_TITLE: "finding",
    m.FINDING_CATEGORY: "category",
    m.FINDING_WORKFLOW: "workflow",
    m.FINDING_ROUTE: "route",
    m.FINDING_TRACE_ID: "example trace",
    m.FINDING_FINGERPRINT_ID: "fingerprint id",
    m.FINDING_ID: "id",
}
FINDING_LINKS = {
    "route": [
        links.dashboard(
            "Route in the workflow drill-down",
            workflow.UID,
            {"workflow": "workflow", "route": "route"},
        )
    ],
    "example trace": [links.trace()],
    "fingerprint id": [
        links.dashboard(
            "Statement in the database dashboard",
            database.UID,
            {"workflow": "workflow"},
        )
    ],
}


def build(config: Config) -> Dashboard:
    """The findings dashboard (panels fill once ``e2e-otel analyze`` publishes its metrics)."""
    board = k.variables(
        k.new_dashboard(
            UID,
            "e2e-otel / Regressions and recommendations",
            "What got slower since the baseline, what the analyzer recommends, and which "
            "alerts fire. Findings are e2e_otel_* metrics and Grafana annotations (tag "
            "e2e-otel) published by `e2e-otel analyze`.",
        )
    )
    board = (
        board.with_row(Row("Findings"))
        .with_panel(
            p.single(
                "Open findings",
                "Findings the analyzer currently reports.",
                k.prom(f"count({FINDINGS}) or vector(0)"),
                "none",
                width=6,
            )
        )
        .with_panel(
            p.bars(
                "Open findings per priority",
                "Findings by priority.",
                k.prom(
                    f"count by ({m.FINDING_PRIORITY}) ({FINDINGS})", k.legend(m.FINDING_PRIORITY)
                ),
                "none",
                width=18,
            )
        )
        .with_panel(
            p.grid(
                "Recommendations",
                "One row per finding, most severe first. The route opens the workflow "
                "drill-down on that route, the example trace opens in Tempo. The analyzer's "
                "report has the full text and the steps.",
                p.refs([(RANKED, "")]),
                FINDING_COLUMNS,
                sort="severity",
                links=FINDING_LINKS,
                mappings={"severity": [SEVERITY_MAPPING]},
            )
        )
    )
    board = (
        board.with_row(Row("Regressions"))
        .with_panel(
            p.graph(
                "Change against the baseline",
                "current / baseline per regression target (1 = unchanged, 2 = twice as slow).",
                [
                    k.prom(
                        m.REGRESSION_CHANGE_RATIO,
                        k.legend(
                            m.REGRESSION_RULE,
                            m.REGRESSION_SERVICE,
                            m.REGRESSION_KIND,
                            m.REGRESSION_TARGET,
                        ),
                    )
                ],
                "none",
            )
        )
        .with_panel(
            p.grid(
                "Largest regressions now",
                "Regression targets, largest change first.",
                p.refs([(f"sort_desc({m.REGRESSION_CHANGE_RATIO})", "")]),
                {
                    m.REGRESSION_RULE: "rule",
                    m.REGRESSION_SERVICE: "service",
                    m.REGRESSION_KIND: "kind",
                    m.REGRESSION_TARGET: "target",
                    "Value": "change",
                },
                units={"change": "none"},
                sort="change",
                width=12,
            )
        )
        .with_panel(
            p.graph(
                "Health score",
                "0-100 per service and per workflow, from the analyzer (dashed: 50 and 80). "
                "Services follow the Service selection, workflows the Workflow selection.",
                [
                    k.prom(
                        k.selector(m.HEALTH_SCORE, k.SERVICE_HEALTH),
                        "service " + k.legend(m.HEALTH_SERVICE),
                    ),
                    k.prom(
                        k.selector(m.HEALTH_SCORE, k.WORKFLOW_HEALTH),
                        "workflow " + k.legend(m.HEALTH_WORKFLOW),
                        "B",
                    ),
                ],
                "none",
                lines=p.score_levels(),
            )
            .min(0)
            .max(100)
        )
        .with_panel(
            annotationslist.Panel()
            .title("Analyzer annotations")
            .description("Grafana annotations tagged e2e-otel (deploys, regressions found).")
            .tags([k.TAG])
            .only_from_this_dashboard(False)
            .only_in_time_range(True)
            .limit(20)
            .span(12)
            .height(8)
        )
    )
    return board.with_row(Row("Alerts")).with_panel(
        p.grid(
            "Firing e2e-otel alerts",
            "Latency, error-ratio and pipeline alerts (`e2e-otel rules`), each at its highest "
            "firing severity.",
            p.refs([(k.FIRING_ONCE, "")]),
            {
                m.SEVERITY: "severity",
                m.ALERT_NAME: "alert",
                m.SERVICE: "service",
                m.WORKFLOW: "workflow",
                m.LAYER: "layer",
                m.HTTP_ROUTE: "route",
                m.FINGERPRINT_ID: "fingerprint id",
            },
            sort="severity",
        )
    )
