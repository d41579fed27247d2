"""(f) Pipeline health: is the telemetry itself arriving? The collector's own metrics, the
scrape targets and the analyzer service's runs (the same series the pipeline alerts watch)."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row

from e2e_otel import metrics as m
from e2e_otel.config import Config
from e2e_otel.stack import pipeline_rules as rules
from e2e_otel.stack.dashboards import _kit as k
from e2e_otel.stack.dashboards import _panels as p

UID = "e2e-otel-pipeline"
UP_MAPPING = {
    "type": "value",
    "options": {
        "0": {"text": "down", "color": "red", "index": 0},
        "1": {"text": "up", "color": "green", "index": 1},
    },
}


def rate_by(metric: str, label: str) -> str:
    return k.rate_sum(metric, [], [label])


def or_zero(failed: str, sent: str, label: str) -> str:
    """Failures per ``label``, 0 for each that sends but never failed (the collector creates
    a send_failed series only at the first failure)."""
    return f"{rate_by(failed, label)} or {rate_by(sent, label)} * 0"


def build(config: Config) -> Dashboard:
    """The pipeline-health dashboard (no variables: it is about the stack, not a service)."""
    board = k.new_dashboard(
        UID,
        "e2e-otel / Pipeline health",
        "Is the telemetry arriving? Spans the collector accepts, refuses and fails to export, "
        "its export queues, the scrape targets, and whether the analyzer's findings are fresh.",
    )
    failed_spans = or_zero(m.OTELCOL_SEND_FAILED_SPANS, m.OTELCOL_SENT_SPANS, m.EXPORTER)
    failed_points = or_zero(
        m.OTELCOL_SEND_FAILED_METRIC_POINTS, m.OTELCOL_SENT_METRIC_POINTS, m.EXPORTER
    )
    board = (
        board.with_row(Row("Collector"))
        .with_panel(
            p.single(
                "Spans received/s",
                "Spans the collector's receivers accepted per second.",
                k.prom(k.rate_sum(m.OTELCOL_ACCEPTED_SPANS, [])),
                "ops",
            )
        )
        .with_panel(
            p.single(
                "Spans refused/s",
                "Spans refused by the pipeline (memory_limiter over its limit): senders retry, "
                "then drop them. Red when any.",
                k.prom(f"{k.rate_sum(m.OTELCOL_REFUSED_SPANS, [])} or vector(0)"),
                "ops",
                p.levels((0.001, "red")),
            )
        )
        .with_panel(
            p.single(
                "Items dropped by exporters/s",
                "Spans and metric points an exporter gave up on after its retries: lost data. "
                "Red when any.",
                k.prom(f"(sum({failed_spans}) or vector(0)) + (sum({failed_points}) or vector(0))"),
                "ops",
                p.levels((0.001, "red")),
            )
        )
        .with_panel(
            p.single(
                "Fullest export queue",
                f"Largest share of an exporter's sending queue in use (alert above "
                f"{rules.QUEUE_FILL_WARNING:.0%}). A full queue drops new data.",
                k.prom(f"max({rules.queue_fill()})"),
                "percentunit",
                p.levels((0.5, "yellow"), (rules.QUEUE_FILL_WARNING, "red")),
            )
        )
        .with_panel(
            p.graph(
                "Spans per receiver",
                "Accepted, refused (memory_limiter) and failed spans per second.",
                [
                    k.prom(rate_by(m.OTELCOL_ACCEPTED_SPANS, m.RECEIVER), "accepted {{receiver}}"),
                    k.prom(
                        rate_by(m.OTELCOL_REFUSED_SPANS, m.RECEIVER), "refused {{receiver}}", "B"
                    ),
                    k.prom(rate_by(m.OTELCOL_FAILED_SPANS, m.RECEIVER), "failed {{receiver}}", "C"),
                ],
                "ops",
            )
        )
        .with_panel(
            p.graph(
                "Dropped by exporters",
                "Spans and metric points per second each exporter dropped after its retries "
                "(0 while it never failed).",
                [
                    k.prom(failed_spans, "spans {{exporter}}"),
                    k.prom(failed_points, "metric points {{exporter}}", "B"),
                ],
                "ops",
            )
        )
        .with_panel(
            p.graph(
                "Sent by exporters",
                "Spans and metric points per second each exporter delivered.",
                [
                    k.prom(rate_by(m.OTELCOL_SENT_SPANS, m.EXPORTER), "spans {{exporter}}"),
                    k.prom(
                        rate_by(m.OTELCOL_SENT_METRIC_POINTS, m.EXPORTER),
                        "metric points {{exporter}}",
                        "B",
                    ),
                ],
                "ops",
            )
        )
        .with_panel(
            p.graph(
                "Export queue fill",
                "Share of each sending queue in use; dashed: 50% and the alert threshold.",
                [k.prom(rules.queue_fill(), "{{exporter}} ({{data_type}})")],
                "percentunit",
                lines=p.levels((0.5, "yellow"), (rules.QUEUE_FILL_WARNING, "red")),
            )
        )
        .with_panel(
            p.graph(
                "Collector memory",
                "Resident memory of the collector process; the memory_limiter refuses spans "
                "above its limit (collector-config/otelcol.yaml).",
                [k.prom(f"sum({m.OTELCOL_MEMORY_RSS})", "rss")],
                "bytes",
            )
        )
    )
    return (
        board.with_row(Row("Targets and analyzer"))
        .with_panel(
            p.grid(
                "Scrape targets",
                "Whether Prometheus reached each target at its last scrape.",
                p.refs([(m.UP, "")]),
                {m.JOB: "job", m.INSTANCE: "instance", "Value": "state"},
                mappings={"state": [UP_MAPPING]},
                width=12,
                height=8,
            )
        )
        .with_panel(
            p.single(
                "Age of the findings",
                f"Time since the analyzer's last successful run (alert above "
                f"{rules.ANALYZER_STALE_SECONDS // 60} min).",
                k.prom(f"min({rules.findings_age()})"),
                "s",
                p.levels(
                    (rules.ANALYZER_STALE_SECONDS / 3, "yellow"),
                    (rules.ANALYZER_STALE_SECONDS, "red"),
                ),
            )
        )
        .with_panel(
            p.single(
                "Failed analysis runs",
                "Analysis runs that failed over the time range (the service logs why).",
                k.prom(k.increase_sum(m.ANALYSIS_RUNS, [f'{m.ANALYSIS_OUTCOME}="failure"'])),
                "none",
                p.levels((1, "red")),
            )
        )
    )
