"""Names of the ``db health`` Prometheus metrics and their labels (a contract: dashboards and
alerts select them). Checked with ``promtool check metrics`` in the tests."""

from __future__ import annotations

from typing import Final

#: Gauge, 1 when the last check could connect, else 0.
DB_CONNECTED: Final = "e2e_otel_db_connected"
#: Gauges from SHOW GLOBAL STATUS / VARIABLES.
DB_THREADS_CONNECTED: Final = "e2e_otel_db_threads_connected"
DB_MAX_CONNECTIONS: Final = "e2e_otel_db_max_connections"
DB_MAX_USED_CONNECTIONS: Final = "e2e_otel_db_max_used_connections"
#: Counter (the server's Aborted_connects); exposed with the ``_total`` suffix.
DB_ABORTED_CONNECTS: Final = "e2e_otel_db_aborted_connects"
DB_ABORTED_CONNECTS_TOTAL: Final = f"{DB_ABORTED_CONNECTS}_total"
#: Gauge, 1 when performance_schema statement digests can be read.
DB_DIGESTS_AVAILABLE: Final = "e2e_otel_db_digests_available"
#: Gauges from the Django migration status (only with --django-settings).
DB_UNAPPLIED_MIGRATIONS: Final = "e2e_otel_db_unapplied_migrations"
DB_MODEL_CHANGES_WITHOUT_MIGRATION: Final = "e2e_otel_db_model_changes_without_migration"
#: Gauge, child rows with no parent row (labels ``table``, ``column``), capped per check.
DB_ORPHANED_ROWS: Final = "e2e_otel_db_orphaned_rows"
#: Gauge, rows examined per row returned of the top statement shapes (label ``fingerprint_id``).
DB_DIGEST_EXAMINED_PER_SENT: Final = "e2e_otel_db_digest_rows_examined_per_sent_ratio"

TABLE: Final = "table"
COLUMN: Final = "column"
FINGERPRINT_ID: Final = "fingerprint_id"

#: Every series name above, as a query selects it.
METRIC_NAMES: Final = frozenset(
    {
        DB_CONNECTED,
        DB_THREADS_CONNECTED,
        DB_MAX_CONNECTIONS,
        DB_MAX_USED_CONNECTIONS,
        DB_ABORTED_CONNECTS_TOTAL,
        DB_DIGESTS_AVAILABLE,
        DB_UNAPPLIED_MIGRATIONS,
        DB_MODEL_CHANGES_WITHOUT_MIGRATION,
        DB_ORPHANED_ROWS,
        DB_DIGEST_EXAMINED_PER_SENT,
    }
)
LABEL_NAMES: Final = frozenset({TABLE, COLUMN, FINGERPRINT_ID})
