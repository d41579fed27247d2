"""Server-wide figures from ``SHOW GLOBAL STATUS`` / ``SHOW GLOBAL VARIABLES``."""

from __future__ import annotations

from typing import Any

from e2e_otel.dbhealth.models import ServerStatus

_STATUS = ("Threads_connected", "Max_used_connections", "Aborted_connects", "Uptime")
_VARIABLES = ("max_connections", "performance_schema", "version")


def read_status(conn: Any) -> ServerStatus:
    """Connections in use vs allowed, the high-water mark, failed connects, and whether
    performance_schema (needed for statement digests) is on."""
    status = _show(conn, "STATUS", _STATUS)
    variables = _show(conn, "VARIABLES", _VARIABLES)
    version = variables.get("version", "")
    return ServerStatus(
        version=version,
        flavor="mariadb" if "mariadb" in version.lower() else "mysql",
        threads_connected=int(status.get("Threads_connected", 0)),
        max_connections=int(variables.get("max_connections", 0)),
        max_used_connections=int(status.get("Max_used_connections", 0)),
        aborted_connects=int(status.get("Aborted_connects", 0)),
        uptime_s=int(status.get("Uptime", 0)),
        performance_schema=variables.get("performance_schema", "OFF").upper() in {"ON", "1"},
    )


def _show(conn: Any, kind: str, names: tuple[str, ...]) -> dict[str, str]:
    marks = ", ".join(["%s"] * len(names))
    with conn.cursor() as cursor:
        cursor.execute(f"SHOW GLOBAL {kind} WHERE Variable_name IN ({marks})", names)
        return {str(name): str(value) for name, value in cursor.fetchall()}
