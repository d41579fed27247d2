"""Alerts on the pipeline itself: the collector refusing or dropping data, its export queues
filling up, a scrape target down, the analyzer's findings going stale.

They watch the collector's own telemetry (``otelcol_*``, scrape job ``otel-collector``) and the
analyzer service's run metrics; the "Pipeline health" dashboard draws the same series.
"""

from __future__ import annotations

from typing import Any, Final

from e2e_otel import metrics as m

WINDOW: Final = "5m"
FOR: Final = "5m"
#: Queue fill (size / capacity) above which an exporter is falling behind.
QUEUE_FILL_WARNING: Final = 0.8
#: Age of the analyzer's last successful run (seconds) above which its findings are stale:
#: six runs of the compose service (`--every=5m`) missed in a row.
ANALYZER_STALE_SECONDS: Final = 1800

REFUSING_ALERT: Final = "E2ECollectorRefusingSpans"
EXPORT_FAILING_ALERT: Final = "E2ECollectorExportFailing"
QUEUE_ALERT: Final = "E2ECollectorQueueFilling"
TARGET_DOWN_ALERT: Final = "E2EScrapeTargetDown"
ANALYZER_STALE_ALERT: Final = "E2EAnalyzerStale"
OVERFLOW_ALERT: Final = "E2ESpanMetricsOverflow"


def _rate_by(metric: str, label: str) -> str:
    return f"sum by ({label}) (rate({metric}[{WINDOW}]))"


def _alert(
    name: str, expr: str, severity: str, summary: str, description: str, hold: str = FOR
) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": hold,
        "labels": {m.SEVERITY: severity},
        "annotations": {"summary": summary, "description": description},
    }


def export_failures(label: str = m.EXPORTER, window: str = WINDOW) -> tuple[str, str]:
    """Spans and metric points dropped per second after the retries, per ``label``."""
    return (
        f"sum by ({label}) (rate({m.OTELCOL_SEND_FAILED_SPANS}[{window}]))",
        f"sum by ({label}) (rate({m.OTELCOL_SEND_FAILED_METRIC_POINTS}[{window}]))",
    )


def queue_fill(labels: str = f"{m.EXPORTER}, {m.DATA_TYPE}") -> str:
    """Share of each exporter's sending queue in use."""
    return f"max by ({labels}) ({m.OTELCOL_QUEUE_SIZE} / {m.OTELCOL_QUEUE_CAPACITY})"


def findings_age() -> str:
    """Seconds since the analyzer's last successful run."""
    return f"time() - {m.ANALYSIS_LAST_SUCCESS}"


def pipeline_group() -> dict[str, Any]:
    """The ``e2e-otel-pipeline`` rule group."""
    spans, points = export_failures()
    exporter = f"{{{{ $labels.{m.EXPORTER} }}}}"
    rules = [
        _alert(
            REFUSING_ALERT,
            f"{_rate_by(m.OTELCOL_REFUSED_SPANS, m.RECEIVER)} > 0",
            "warning",
            "the collector refuses spans",
            f"Receiver {{{{ $labels.{m.RECEIVER} }}}} refused {{{{ $value | humanize }}}} "
            f"spans/s over {WINDOW}: the memory_limiter is over its limit, senders retry and "
            "may drop spans. Give the collector more memory or less load.",
        ),
        _alert(
            EXPORT_FAILING_ALERT,
            f"{spans} > 0 or {points} > 0",
            "critical",
            "the collector drops data it cannot export",
            f"Exporter {exporter} dropped {{{{ $value | humanize }}}} items/s over {WINDOW} "
            "after its retries: spans or span metrics are lost. Check that its backend "
            "(Tempo, Prometheus) is up and reachable.",
        ),
        _alert(
            QUEUE_ALERT,
            f"{queue_fill()} > {QUEUE_FILL_WARNING}",
            "warning",
            f"an exporter queue is more than {QUEUE_FILL_WARNING:.0%} full",
            f"Exporter {exporter} ({{{{ $labels.{m.DATA_TYPE} }}}}) has "
            "{{ $value | humanizePercentage }} of its sending queue in use: its backend is "
            "slow or down, and a full queue drops new data.",
        ),
        _alert(
            TARGET_DOWN_ALERT,
            f'{m.UP}{{{m.JOB}=~"{m.JOB_COLLECTOR}|{m.JOB_ANALYZER}"}} == 0',
            "critical",
            "a pipeline component does not answer its scrape",
            f"Prometheus cannot scrape {{{{ $labels.{m.JOB} }}}} at "
            f"{{{{ $labels.{m.INSTANCE} }}}}: the process is down or unreachable, and its "
            "metrics (and, for the analyzer, the findings) are not updated.",
        ),
        _alert(
            ANALYZER_STALE_ALERT,
            f"{findings_age()} > {ANALYZER_STALE_SECONDS}",
            "warning",
            "the analyzer's findings are stale",
            "The last successful analysis run was {{ $value | humanizeDuration }} ago: "
            'its runs fail (see e2e_otel_analysis_runs_total{outcome="failure"} and its log), '
            "so the findings and health scores are old.",
        ),
        _alert(
            OVERFLOW_ALERT,
            f'sum by ({m.JOB}) (rate({m.SPAN_CALLS}{{{m.OVERFLOW}="true"}}[{WINDOW}])) > 0',
            "warning",
            "span metrics hit their cardinality limit",
            f"Service {{{{ $labels.{m.JOB} }}}} has more span-metric label combinations than "
            "E2E_OTELCOL_SPANMETRICS_CARDINALITY_LIMIT: {{ $value | humanize }} spans/s are "
            "counted only in the overflow series, without route, workflow or fingerprint. A "
            "label is unbounded (a raw id in http.route or a span name): see the label budget "
            "in docs/stack.md.",
        ),
    ]
    return {"name": "e2e-otel-pipeline", "rules": rules}
