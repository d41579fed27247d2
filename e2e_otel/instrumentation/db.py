"""Instrument whichever MySQL driver is in use: PyMySQL and/or mysqlclient (``MySQLdb``).

With ``pymysql.install_as_MySQLdb()`` the name ``MySQLdb`` is PyMySQL itself; instrumenting it
twice would nest every query span, so mysqlclient is only instrumented when it is the real one.
"""

from __future__ import annotations

import importlib
import logging
import sys
from importlib import metadata

_logger = logging.getLogger(__name__)

# (name, distribution of the driver, instrumentor module, instrumentor class)
_DRIVERS = (
    ("pymysql", "PyMySQL", "opentelemetry.instrumentation.pymysql", "PyMySQLInstrumentor"),
    (
        "mysqlclient",
        "mysqlclient",
        "opentelemetry.instrumentation.mysqlclient",
        "MySQLClientInstrumentor",
    ),
)


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
    for name, distribution, module, cls in _DRIVERS:
        if not _installed(distribution):
            continue
        if name == "mysqlclient" and _mysqldb_is_pymysql():
            continue
        try:
            instrumentor = getattr(importlib.import_module(module), cls)()
        except ImportError as exc:
            _logger.warning(
                "e2e_otel: %s is installed but its instrumentation is missing "
                "(pip install 'e2e-otel[mysql]'): %s",
                distribution,
                exc,
            )
            continue
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()
        done.append(name)
    return done
