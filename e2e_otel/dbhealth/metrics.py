"""The ``db health`` report as Prometheus metrics: a prometheus-client Collector that
exposes the latest report at each scrape (the checks themselves run on their own schedule:
a scrape must not start migrations subprocesses or full-table counts)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from e2e_otel import metrics as names
from e2e_otel.dbhealth.models import HealthReport, by_fingerprint

DEFAULT_TOP = 20


class DbHealthCollector(Collector):
    """Yields the ``e2e_otel_db_*`` metrics of whatever report ``latest`` returns (nothing
    before the first check). ``top``: statement shapes exported, by rows examined."""

    def __init__(self, latest: Callable[[], HealthReport | None], top: int = DEFAULT_TOP) -> None:
        self._latest = latest
        self._top = top

    def collect(self) -> Iterator[Metric]:
        report = self._latest()
        if report is None:
            return
        yield _gauge(
            names.DB_CONNECTED, "1 if the database accepted the connection", report.connected
        )
        status = report.status
        if status is not None:
            yield _gauge(
                names.DB_THREADS_CONNECTED,
                "Open connections (Threads_connected)",
                status.threads_connected,
            )
            yield _gauge(
                names.DB_MAX_CONNECTIONS,
                "Connection limit (max_connections)",
                status.max_connections,
            )
            yield _gauge(
                names.DB_MAX_USED_CONNECTIONS,
                "Most connections open at once since start (Max_used_connections)",
                status.max_used_connections,
            )
            aborted = CounterMetricFamily(
                names.DB_ABORTED_CONNECTS, "Failed connection attempts (Aborted_connects)"
            )
            aborted.add_metric([], status.aborted_connects)
            yield aborted
        if report.digests is not None:
            yield _gauge(
                names.DB_DIGESTS_AVAILABLE,
                "1 if performance_schema statement digests are readable",
                report.digests.available,
            )
            ratio = GaugeMetricFamily(
                names.DB_DIGEST_EXAMINED_PER_SENT,
                "Rows examined per row returned, per statement fingerprint (top by rows examined)",
                labels=[names.DB_FINGERPRINT_ID],
            )
            # The statements reading the most rows are the ones an index would help; server
            # digests sharing one of our fingerprints count as one, as in the findings.
            merged = by_fingerprint(report.digests.digests)
            scanning = sorted(merged, key=lambda d: -d.rows_examined)[: self._top]
            for digest in scanning:
                ratio.add_metric([digest.fingerprint_id], digest.examined_per_sent)
            yield ratio
        if report.migrations is not None:
            yield _gauge(
                names.DB_UNAPPLIED_MIGRATIONS,
                "Django migrations not applied to this database",
                len(report.migrations.unapplied),
            )
            yield _gauge(
                names.DB_MODEL_CHANGES_WITHOUT_MIGRATION,
                "Django model changes no migration covers",
                len(report.migrations.changes),
            )
            orphans = GaugeMetricFamily(
                names.DB_ORPHANED_ROWS,
                "Rows referencing a missing parent row, on relations the database does not enforce",
                labels=[names.DB_TABLE, names.DB_COLUMN],
            )
            for check in report.orphans:
                if check.error is None:
                    orphans.add_metric(
                        [check.relation.table, check.relation.column], check.orphaned_rows
                    )
            yield orphans


def render_metrics(report: HealthReport, top: int = DEFAULT_TOP) -> str:
    """The report in the Prometheus text exposition format (a textfile-collector file)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DbHealthCollector(lambda: report, top))
    return generate_latest(registry).decode("utf-8")


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value))
