"""Instrument whichever MySQL driver is in use: PyMySQL and/or mysqlclient (``MySQLdb``).

With ``pymysql.install_as_MySQLdb()`` the name ``MySQLdb`` is PyMySQL itself; instrumenting it
twice would nest every query span, so mysqlclient is only instrumented when it is the real one.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from importlib import metadata

_logger = logging.getLogger(__name__)


def _installed(distribution: str) -> bool:
    try:
        metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


def _mysqldb_is_pymysql() -> bool:
    mysqldb = sys.modules.get("MySQLdb")
    return mysqldb is not None and mysqldb is sys.modules.get("pymysql")


def instrument_db() -> list[str]:
    """Instrument the installed MySQL drivers (idempotent); returns the instrumented names."""
    done: list[str] = []
    if importlib.util.find_spec("pymysql") is not None:
        try:
            from opentelemetry.instrumentation.pymysql import PyMySQLInstrumentor

            instrumentor = PyMySQLInstrumentor()
            if not instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.instrument()
            done.append("pymysql")
        except ImportError as exc:
            _logger.warning("e2e_otel: PyMySQL found but its instrumentation is missing: %s", exc)
    if _installed("mysqlclient") and not _mysqldb_is_pymysql():
        try:
            from opentelemetry.instrumentation.mysqlclient import MySQLClientInstrumentor

            instrumentor_mc = MySQLClientInstrumentor()
            if not instrumentor_mc.is_instrumented_by_opentelemetry:
                instrumentor_mc.instrument()
            done.append("mysqlclient")
        except ImportError as exc:
            _logger.warning(
                "e2e_otel: mysqlclient found but its instrumentation is missing: %s", exc
            )
    return done
