"""Pick the MySQL DB-API driver Django's mysql backend will import as `MySQLdb`."""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import ImproperlyConfigured

DRIVERS = ("pymysql", "mysqlclient")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def install(driver: str, host: str) -> dict[str, Any]:
    """Make `import MySQLdb` resolve to the chosen driver; return its extra connect options.

    Must run before django.db.backends.mysql is imported, i.e. from settings.
    """
    if driver == "pymysql":
        import pymysql

        # Django's backend only knows the MySQLdb API; PyMySQL can pose as it. If mysqlclient
        # is installed too, an instrumentor may already have imported the real MySQLdb: its
        # cached submodules (MySQLdb.constants.ER, ...) would then shadow PyMySQL's when
        # Django imports MySQLdb.converters, and PyMySQL fails to import. Drop them first.
        for name in [n for n in sys.modules if n == "MySQLdb" or n.startswith("MySQLdb.")]:
            del sys.modules[name]
        pymysql.install_as_MySQLdb()
        # PyMySQL >= 1.2 defaults to TLS "preferred" and loads the system CA bundle on every
        # connect (~20 ms of CPU per request here, one connection per request). The loopback
        # demo server has no TLS, so that cost would only be noise in the traces. Remote
        # hosts keep the driver's default.
        return {"ssl_disabled": True} if host in LOOPBACK else {}
    if driver == "mysqlclient":
        try:
            import MySQLdb  # noqa: F401
        except ImportError as exc:
            raise ImproperlyConfigured(
                "SHOP_DB_DRIVER=mysqlclient but mysqlclient is not installed: apt-get install -y "
                "libmariadb-dev pkg-config gcc && pip install mysqlclient"
            ) from exc
        return {}
    raise ImproperlyConfigured(
        f"SHOP_DB_DRIVER={driver!r} is not supported; use one of {', '.join(DRIVERS)}"
    )
