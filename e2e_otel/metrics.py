"""Prometheus metric and label names that rules, dashboards and analyzers query.

The single place for these names: a rename in the pipeline is a one-line change here. They are
what the collector's spanmetrics and servicegraph connectors produce once the
prometheusremotewrite exporter has translated them (dots to underscores, unit and ``_total``
suffixes added), checked by the end-to-end test against a real collector and Prometheus.
"""

from __future__ import annotations

from typing import Final

from e2e_otel import attributes as attr

# --- spanmetrics connector (namespace "traces.span.metrics") ---------------------------------

#: Counter of spans, one series per dimension combination.
SPAN_CALLS: Final = "traces_span_metrics_calls_total"
#: Histogram of span durations in milliseconds (buckets 1 ms - 10 s); use the suffixed names.
SPAN_DURATION: Final = "traces_span_metrics_duration_milliseconds"
SPAN_DURATION_BUCKET: Final = f"{SPAN_DURATION}_bucket"
SPAN_DURATION_SUM: Final = f"{SPAN_DURATION}_sum"
SPAN_DURATION_COUNT: Final = f"{SPAN_DURATION}_count"

# Labels every span metric carries.
SERVICE: Final = "service_name"
SPAN_NAME: Final = "span_name"
SPAN_KIND: Final = "span_kind"
STATUS_CODE: Final = "status_code"
#: Histogram bucket bound (Prometheus's own label).
LE: Final = "le"
#: Label of an exemplar holding the trace id (prometheusremotewrite exporter).
EXEMPLAR_TRACE_ID: Final = "trace_id"

# Label values.
KIND_SERVER: Final = "SPAN_KIND_SERVER"
KIND_CLIENT: Final = "SPAN_KIND_CLIENT"
KIND_INTERNAL: Final = "SPAN_KIND_INTERNAL"
STATUS_ERROR: Final = "STATUS_CODE_ERROR"

# Our dimensions (span attributes of docs/attributes.md) as labels.
WORKFLOW: Final = "e2e_workflow_type"
LAYER: Final = "e2e_layer"
FINGERPRINT_ID: Final = "e2e_db_fingerprint_id"
#: On failed spans only (and on 4xx server spans, whose status stays UNSET).
ERROR_CATEGORY: Final = "e2e_error_category"
HTTP_ROUTE: Final = "http_route"
#: Request method: old (``http.method``) and stable (``http.request.method``) conventions.
HTTP_METHOD: Final = "http_method"
HTTP_REQUEST_METHOD: Final = "http_request_method"

# Values of the ``e2e_layer`` label.
# (the span attribute's values: the spanmetrics connector copies them unchanged).
LAYER_FRONTEND: Final = attr.LAYER_FRONTEND
LAYER_API: Final = attr.LAYER_API
LAYER_DATABASE: Final = attr.LAYER_DATABASE
LAYER_EXTERNAL: Final = attr.LAYER_EXTERNAL
LAYER_INTERNAL: Final = attr.LAYER_INTERNAL

# --- servicegraph connector -----------------------------------------------------------------

SERVICE_GRAPH_REQUESTS: Final = "traces_service_graph_request_total"
SERVICE_GRAPH_FAILED: Final = "traces_service_graph_request_failed_total"
#: Histograms in seconds, measured on the server and on the client side of an edge.
SERVICE_GRAPH_SERVER_SECONDS: Final = "traces_service_graph_request_server_seconds"
SERVICE_GRAPH_CLIENT_SECONDS: Final = "traces_service_graph_request_client_seconds"
SERVICE_GRAPH_SERVER_SECONDS_BUCKET: Final = f"{SERVICE_GRAPH_SERVER_SECONDS}_bucket"
SERVICE_GRAPH_CLIENT_SECONDS_BUCKET: Final = f"{SERVICE_GRAPH_CLIENT_SECONDS}_bucket"
CLIENT: Final = "client"
SERVER: Final = "server"
CONNECTION_TYPE: Final = "connection_type"

# --- the collector's own telemetry (scrape job "otel-collector", :8888) ---------------------
# As otelcol v0.161.0 exposes them: counters WITHOUT a _total suffix. The send_failed series
# appear only once an export has failed (queries fall back to 0 through the sent series).

#: Counters of spans by receiver (labels ``receiver``, ``transport``): accepted, refused by the
#: pipeline (memory_limiter: the sender should retry), failed (malformed or internal error).
OTELCOL_ACCEPTED_SPANS: Final = "otelcol_receiver_accepted_spans"
OTELCOL_REFUSED_SPANS: Final = "otelcol_receiver_refused_spans"
OTELCOL_FAILED_SPANS: Final = "otelcol_receiver_failed_spans"
#: Counters by exporter (label ``exporter``): items sent, and dropped after the retries.
OTELCOL_SENT_SPANS: Final = "otelcol_exporter_sent_spans"
OTELCOL_SEND_FAILED_SPANS: Final = "otelcol_exporter_send_failed_spans"
OTELCOL_SENT_METRIC_POINTS: Final = "otelcol_exporter_sent_metric_points"
OTELCOL_SEND_FAILED_METRIC_POINTS: Final = "otelcol_exporter_send_failed_metric_points"
#: Gauges of an exporter's sending queue (labels ``exporter``, ``data_type``).
OTELCOL_QUEUE_SIZE: Final = "otelcol_exporter_queue_size"
OTELCOL_QUEUE_CAPACITY: Final = "otelcol_exporter_queue_capacity"
#: Gauge, resident memory of the collector process in bytes.
OTELCOL_MEMORY_RSS: Final = "otelcol_process_memory_rss"
RECEIVER: Final = "receiver"
EXPORTER: Final = "exporter"
DATA_TYPE: Final = "data_type"

# --- Prometheus itself ----------------------------------------------------------------------

#: 1 when the last scrape of a target succeeded (labels ``job``, ``instance``).
UP: Final = "up"
JOB: Final = "job"
INSTANCE: Final = "instance"
#: Scrape jobs of prometheus/prometheus.yml.
JOB_COLLECTOR: Final = "otel-collector"
JOB_ANALYZER: Final = "e2e-otel-analyzer"

#: On the one span-metric series per service that counts the spans over the connector's
#: cardinality limit (E2E_OTELCOL_SPANMETRICS_CARDINALITY_LIMIT), value "true".
OVERFLOW: Final = "otel_metric_overflow"

#: Built-in series of pending/firing alerts (labels ``alertname``, ``alertstate`` + the rule's).
ALERTS: Final = "ALERTS"
ALERT_NAME: Final = "alertname"
ALERT_STATE: Final = "alertstate"
SEVERITY: Final = "severity"

# --- analyzer findings: published by e2e_otel.publish.prometheus (e2e-otel analyze --serve) --
# Dashboards query them; docs/service.md describes every series.

#: Gauge, 1 per open finding.
FINDING_INFO: Final = "e2e_otel_finding_info"
FINDING_ID: Final = "id"
FINDING_CATEGORY: Final = "category"
FINDING_PRIORITY: Final = "priority"
FINDING_ROUTE: Final = "route"
FINDING_WORKFLOW: Final = "workflow"
FINDING_FINGERPRINT_ID: Final = "fingerprint_id"
#: The finding's one-line title without its figures (stable across runs: no extra series).
FINDING_TITLE: Final = "title"
#: The first example trace of the finding's evidence (one per finding id), for a Tempo link.
FINDING_TRACE_ID: Final = "trace_id"
#: Gauge, p95 duration in seconds (base unit, as Prometheus names want) of a slow statement
#: shape (label ``fingerprint_id``).
SLOW_QUERY_P95: Final = "e2e_otel_slow_query_p95_seconds"
#: Gauge, current / baseline of a regression (labels ``service``, ``kind``, ``target``,
#: ``rule``: a latency and an error-rate regression of the same target are two series).
REGRESSION_CHANGE_RATIO: Final = "e2e_otel_regression_change_ratio"
REGRESSION_SERVICE: Final = "service"
REGRESSION_KIND: Final = "kind"
REGRESSION_TARGET: Final = "target"
REGRESSION_RULE: Final = "rule"
#: Gauge 0-100 (labels ``service``, ``workflow``).
HEALTH_SCORE: Final = "e2e_otel_health_score"
HEALTH_SERVICE: Final = "service"
HEALTH_WORKFLOW: Final = "workflow"

# --- the analyzer service's own runs (e2e-otel analyze --every ... --serve ...) --------------

#: Counter of analysis runs (label ``outcome``: ``success`` or ``failure``).
ANALYSIS_RUNS: Final = "e2e_otel_analysis_runs_total"
ANALYSIS_OUTCOME: Final = "outcome"
#: Gauge, unix time of the last successful run: ``time() - it`` is the age of the findings.
ANALYSIS_LAST_SUCCESS: Final = "e2e_otel_analysis_last_success_timestamp_seconds"
#: Gauge, how long the last run (successful or not) took.
ANALYSIS_DURATION: Final = "e2e_otel_analysis_duration_seconds"
#: Gauge, 1 when the served report read all of its input, else 0.
ANALYSIS_COMPLETE: Final = "e2e_otel_analysis_complete"
#: Gauge, spans the served report analysed.
ANALYSIS_SPANS: Final = "e2e_otel_analysis_spans"

# --- database health: published by `e2e-otel analyze --every ... --db-dsn` / `db health` -------

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

DB_TABLE: Final = "table"
DB_COLUMN: Final = "column"
DB_FINGERPRINT_ID: Final = "fingerprint_id"

#: The database-health series, as a query selects them.
DB_METRIC_NAMES: Final = frozenset(
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

#: Every metric name above that a query may select (histograms by their suffixed series).
METRIC_NAMES: Final = frozenset(
    {
        SPAN_CALLS,
        SPAN_DURATION_BUCKET,
        SPAN_DURATION_SUM,
        SPAN_DURATION_COUNT,
        SERVICE_GRAPH_REQUESTS,
        SERVICE_GRAPH_FAILED,
        SERVICE_GRAPH_SERVER_SECONDS_BUCKET,
        f"{SERVICE_GRAPH_SERVER_SECONDS}_sum",
        f"{SERVICE_GRAPH_SERVER_SECONDS}_count",
        SERVICE_GRAPH_CLIENT_SECONDS_BUCKET,
        f"{SERVICE_GRAPH_CLIENT_SECONDS}_sum",
        f"{SERVICE_GRAPH_CLIENT_SECONDS}_count",
        ALERTS,
        UP,
        OTELCOL_ACCEPTED_SPANS,
        OTELCOL_REFUSED_SPANS,
        OTELCOL_FAILED_SPANS,
        OTELCOL_SENT_SPANS,
        OTELCOL_SEND_FAILED_SPANS,
        OTELCOL_SENT_METRIC_POINTS,
        OTELCOL_SEND_FAILED_METRIC_POINTS,
        OTELCOL_QUEUE_SIZE,
        OTELCOL_QUEUE_CAPACITY,
        OTELCOL_MEMORY_RSS,
        FINDING_INFO,
        SLOW_QUERY_P95,
        REGRESSION_CHANGE_RATIO,
        HEALTH_SCORE,
        ANALYSIS_RUNS,
        ANALYSIS_LAST_SUCCESS,
        ANALYSIS_DURATION,
        ANALYSIS_COMPLETE,
        ANALYSIS_SPANS,
    }
    | DB_METRIC_NAMES
)

#: Every label name above.
LABEL_NAMES: Final = frozenset(
    {
        SERVICE,
        SPAN_NAME,
        SPAN_KIND,
        STATUS_CODE,
        LE,
        WORKFLOW,
        LAYER,
        FINGERPRINT_ID,
        ERROR_CATEGORY,
        HTTP_ROUTE,
        HTTP_METHOD,
        HTTP_REQUEST_METHOD,
        CLIENT,
        SERVER,
        CONNECTION_TYPE,
        ALERT_NAME,
        ALERT_STATE,
        SEVERITY,
        JOB,
        INSTANCE,
        OVERFLOW,
        RECEIVER,
        EXPORTER,
        DATA_TYPE,
        FINDING_ID,
        FINDING_CATEGORY,
        FINDING_PRIORITY,
        FINDING_ROUTE,
        FINDING_WORKFLOW,
        FINDING_FINGERPRINT_ID,
        FINDING_TITLE,
        FINDING_TRACE_ID,
        REGRESSION_KIND,
        REGRESSION_TARGET,
        REGRESSION_RULE,
        HEALTH_SERVICE,
        DB_TABLE,
        DB_COLUMN,
        HEALTH_WORKFLOW,
        ANALYSIS_OUTCOME,
    }
)
