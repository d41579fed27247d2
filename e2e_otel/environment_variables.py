"""Every ``E2E_OTEL_*`` environment variable, in one place (documented in docs/configuration.md).

Standard ``OTEL_*`` variables keep their OpenTelemetry meaning and are not listed here.
"""

from __future__ import annotations

from typing import Final

E2E_OTEL_CONFIG: Final = "E2E_OTEL_CONFIG"
"""Path of the YAML configuration file. Unset: built-in defaults."""

E2E_OTEL_TRACES_FILE: Final = "E2E_OTEL_TRACES_FILE"
"""Also write every span as OTLP JSON lines to this file (the embedded default, no servers)."""

E2E_OTEL_KEEP_RAW_SQL: Final = "E2E_OTEL_KEEP_RAW_SQL"
"""``true`` keeps SQL statements as executed (literals included). Default ``false``: literals
are replaced by ``?`` before a span leaves the process. Overrides ``privacy.keep_raw_sql``."""

E2E_OTEL_DISABLED: Final = "E2E_OTEL_DISABLED"
"""``true`` turns the distribution into a no-op (plain OpenTelemetry SDK behaviour)."""

E2E_OTEL_SHUTDOWN_TIMEOUT: Final = "E2E_OTEL_SHUTDOWN_TIMEOUT"
"""Seconds that flushing spans may take when the app stops (default 5); spans not exported by
then are dropped, counted and reported in one log line."""

E2E_OTEL_FLUSH_ON_SIGTERM: Final = "E2E_OTEL_FLUSH_ON_SIGTERM"
"""``false`` leaves SIGTERM alone. Default ``true``: where SIGTERM has its default action,
queued spans are flushed (within the shutdown budget) before the process ends."""

# Read by the project's scripts and the native stack harness, not inside your application.

E2E_OTEL_CACHE: Final = "E2E_OTEL_CACHE"
"""Where scripts/build-collector.sh caches the collector build (default ``~/.cache/e2e-otel``)."""

E2E_OTEL_OUT: Final = "E2E_OTEL_OUT"
"""Output directory of scripts/quickstart.sh (default ``out``)."""

E2E_OTEL_DB_DSN: Final = "E2E_OTEL_DB_DSN"
"""Default of ``e2e-otel analyze --db-dsn``: a MySQL/MariaDB to check each run
(``mysql://user:password@host:port/database``); unset, no database check."""

E2E_OTEL_DEBUG: Final = "E2E_OTEL_DEBUG"
"""``1`` makes the ``e2e-otel`` command print the traceback of an internal error (by default
it prints one line and exits 2)."""

ALL: Final = (
    E2E_OTEL_CONFIG,
    E2E_OTEL_TRACES_FILE,
    E2E_OTEL_KEEP_RAW_SQL,
    E2E_OTEL_DISABLED,
    E2E_OTEL_SHUTDOWN_TIMEOUT,
    E2E_OTEL_FLUSH_ON_SIGTERM,
    E2E_OTEL_CACHE,
    E2E_OTEL_OUT,
    E2E_OTEL_DB_DSN,
    E2E_OTEL_DEBUG,
)
