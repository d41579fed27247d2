"""A throw-away MariaDB with performance_schema ON, for the db-health tests only.

scripts/mariadb.sh starts every other test's server with performance_schema OFF (cheaper);
the digest checks need it ON, so these tests run their own server the same way: a temp
datadir from mariadb-install-db, ``mariadbd --no-defaults`` on a free loopback port, socket
and pid file inside the temp directory.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pymysql
import pytest

from tests.integration.services import free_port, require_mariadb

START_TIMEOUT_S = 60.0


@dataclass
class PerfSchemaServer:
    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.directory / "mariadb.err"

    def start(self) -> None:
        require_mariadb()
        datadir = self.directory / "data"
        datadir.mkdir(parents=True)
        install = subprocess.run(
            [
                *("mariadb-install-db", "--user=root", f"--datadir={datadir}"),
                *("--auth-root-authentication-method=normal", "--skip-test-db"),
                *("--skip-name-resolve", "--skip-log-bin"),
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
        if install.returncode != 0:
            pytest.fail(f"mariadb-install-db failed:\n{install.stderr[-2000:]}", pytrace=False)
        mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        self.process = subprocess.Popen(
            [
                *(mariadbd, "--no-defaults", "--user=root", f"--datadir={datadir}"),
                f"--socket={self.directory / 'mariadb.sock'}",
                f"--pid-file={self.directory / 'mariadb.pid'}",
                f"--log-error={self.log}",
                *("--bind-address=127.0.0.1", f"--port={self.port}"),
                *("--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=64M"),
                *("--innodb-flush-log-at-trx-commit=2", "--max-connections=60"),
                "--performance-schema=ON",
                *("--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C aimed at pytest must not kill it mid-teardown
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                self.root().close()
                return
            except pymysql.err.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    tail = self.log.read_text()[-2000:] if self.log.exists() else ""
                    self.stop()
                    pytest.fail(f"mariadbd (performance_schema ON) did not start:\n{tail}")
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def root(self) -> pymysql.connections.Connection[pymysql.cursors.Cursor]:
        return pymysql.connect(
            host="127.0.0.1", port=self.port, user="root", password="", connect_timeout=2,
            autocommit=True,
        )  # fmt: skip

    def sql(self, *statements: str) -> list[tuple[object, ...]]:
        """Run statements as root; the rows of the last one."""
        rows: list[tuple[object, ...]] = []
        with self.root() as conn, conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
                rows = list(cursor.fetchall())
        return rows
