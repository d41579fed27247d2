"""(c) Database: which statement shapes (fingerprints) cost the most, and the analyzer's view."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row

from e2e_otel import metrics as m
from e2e_otel.config import Config
from e2e_otel.stack.dashboards import _kit as k
from e2e_otel.stack.dashboards import _panels as p
from e2e_otel.stack.rules import number

UID = "e2e-otel-database"
TOP = 10


def build(config: Config) -> Dashboard:
    """The database dashboard; p95 lines show the configured database thresholds."""
    db = k.layer_scope(m.LAYER_DATABASE)
    fp = [m.FINGERPRINT_ID]
    board = k.variables(
        k.new_dashboard(
            UID,
            "e2e-otel / Database",
            "Which SQL statement shapes cost the most time, which are slow, how often they "
            "run, and what the analyzer found. A statement shape is a fingerprint "
            "(e2e.db.fingerprint_id); the list of slow spans shows its SQL text.",
        )
    )
    board = (
        board.with_row(Row("Statement shapes"))
        .with_panel(
            p.grid(
                "Statement shapes by total time (selected time range)",
                "Total time, calls, p95 and mean per fingerprint id over the time range.",
                p.refs(
                    [
                        (k.increase_sum(m.SPAN_DURATION_SUM, db, fp), ""),
                        (k.increase_sum(m.SPAN_CALLS, db, fp), ""),
                        (k.quantile(m.SPAN_DURATION_BUCKET, db, fp, window=k.RANGE), ""),
                        (
                            f"{k.increase_sum(m.SPAN_DURATION_SUM, db, fp)} / "
                            f"{k.increase_sum(m.SPAN_DURATION_COUNT, db, fp)}",
                            "",
                        ),
                    ]
                ),
                {
                    m.FINGERPRINT_ID: "fingerprint id",
                    "Value #A": "total time",
                    "Value #B": "calls",
                    "Value #C": "p95",
                    "Value #D": "mean",
                },
                units={"total time": "ms", "calls": "short", "p95": "ms", "mean": "ms"},
                sort="total time",
            )
        )
        .with_panel(
            p.graph(
                f"Database time per statement shape (top {TOP})",
                "Milliseconds per second spent in each fingerprint.",
                [k.prom(f"topk({TOP}, {k.rate_sum(m.SPAN_DURATION_SUM, db, fp)})", k.legend(*fp))],
                "ms",
                stacked=True,
            )
        )
        .with_panel(
            p.graph(
                f"p95 per statement shape (top {TOP})",
                "Dashed lines: warning and critical thresholds. Dots are exemplars.",
                [
                    k.prom(
                        f"topk({TOP}, {k.quantile(m.SPAN_DURATION_BUCKET, db, fp)})",
                        k.legend(*fp),
                        exemplar=True,
                    )
                ],
                "ms",
                limit=config.thresholds.database,
            )
        )
        .with_panel(
            p.graph(
                f"Queries per second per statement shape (top {TOP})",
                "Calls per second of each fingerprint.",
                [k.prom(f"topk({TOP}, {k.rate_sum(m.SPAN_CALLS, db, fp)})", k.legend(*fp))],
                "ops",
            )
        )
        .with_panel(
            p.graph(
                "Database queries per request",
                "Database spans per API request, by workflow (N+1 indicator).",
                [k.prom(k.queries_per_request([m.WORKFLOW]), k.legend(m.WORKFLOW))],
                "none",
            )
        )
        .with_panel(
            p.graph(
                "Failed queries by category",
                "Database spans per second by e2e.error.category (db_integrity, db_query, ...).",
                [
                    k.prom(
                        k.rate_sum(m.SPAN_CALLS, [*db, k.CATEGORIZED], [m.ERROR_CATEGORY]),
                        k.legend(m.ERROR_CATEGORY),
                    )
                ],
                "ops",
                width=24,
            )
        )
    )
    slow = number(config.thresholds.database.warning_ms)
    return _health_row(
        board.with_row(Row("Analyzer findings and examples"))
        .with_panel(
            p.grid(
                "Slow statement shapes (analyzer)",
                "p95 per fingerprint as measured by `e2e-otel analyze`; empty until it runs.",
                p.refs([(f"sort_desc({m.SLOW_QUERY_P95})", "")]),
                {m.FINDING_FINGERPRINT_ID: "fingerprint id", "Value": "p95"},
                units={"p95": "s"},
                sort="p95",
                width=8,
            )
        )
        .with_panel(
            p.grid(
                "Database findings (analyzer)",
                "Open findings about statements (N+1, slow query, missing index, ...).",
                p.refs([(k.selector(m.FINDING_INFO, [f'{m.FINDING_FINGERPRINT_ID}!=""']), "")]),
                {
                    m.FINDING_ID: "id",
                    m.FINDING_CATEGORY: "category",
                    m.FINDING_PRIORITY: "priority",
                    m.FINDING_FINGERPRINT_ID: "fingerprint id",
                    m.FINDING_WORKFLOW: "workflow",
                    m.FINDING_ROUTE: "route",
                },
                width=16,
            )
        )
        .with_panel(
            p.traces(
                f"Database spans slower than {slow} ms",
                "Tempo (TraceQL): recent slow database spans with their SQL shape.",
                '{ span.e2e.layer = "database" && resource.service.name =~ "${service:regex}" '
                f"&& duration > {slow}ms }} | select(span.e2e.db.fingerprint_id, "
                "span.e2e.db.fingerprint)",
            )
        )
    )


def _health_row(board: Dashboard) -> Dashboard:
    """The database's own figures, published by ``e2e-otel analyze --db-dsn`` (docs/db-health.md);
    empty when no database is checked."""
    return (
        board.with_row(Row("Database health (e2e-otel analyze --db-dsn)"))
        .with_panel(
            p.single(
                "Connections in use",
                "Threads_connected / max_connections of the checked database.",
                k.prom(f"{m.DB_THREADS_CONNECTED} / {m.DB_MAX_CONNECTIONS}"),
                "percentunit",
                p.levels((0.7, "orange"), (0.9, "red")),
            )
        )
        .with_panel(
            p.single(
                "Peak connections",
                "Max_used_connections / max_connections since the server started.",
                k.prom(f"{m.DB_MAX_USED_CONNECTIONS} / {m.DB_MAX_CONNECTIONS}"),
                "percentunit",
                p.levels((0.8, "orange"), (0.95, "red")),
            )
        )
        .with_panel(
            p.single(
                "Failed connection attempts",
                "Aborted_connects per second (wrong password, no privilege, timeouts).",
                k.prom(f"rate({m.DB_ABORTED_CONNECTS_TOTAL}[$__rate_interval])"),
                "reqps",
                p.levels((0.1, "orange"), (1, "red")),
            )
        )
        .with_panel(
            p.single(
                "Reachable",
                "1 when the last check could connect to the database.",
                k.prom(m.DB_CONNECTED),
                "none",
                p.levels((0, "red"), (1, "green")),
            )
        )
        .with_panel(
            p.grid(
                "Rows examined per row returned",
                "performance_schema statement digests joined to our fingerprint ids: shapes "
                "reading many rows per row they return lack an index.",
                p.refs([(f"topk({TOP}, {m.DB_DIGEST_EXAMINED_PER_SENT})", "")]),
                {m.DB_FINGERPRINT_ID: "fingerprint id", "Value": "rows examined per row"},
                units={"rows examined per row": "short"},
                sort="rows examined per row",
                width=12,
            )
        )
        .with_panel(
            p.grid(
                "Orphaned rows",
                "Child rows whose parent is missing, on relations the database does not "
                "enforce (needs Django settings: e2e-otel db health --django-settings).",
                p.refs([(f"sum by ({m.DB_TABLE}, {m.DB_COLUMN}) ({m.DB_ORPHANED_ROWS}) > 0", "")]),
                {m.DB_TABLE: "table", m.DB_COLUMN: "column", "Value": "orphaned rows"},
                units={"orphaned rows": "short"},
                sort="orphaned rows",
                width=12,
            )
        )
    )
