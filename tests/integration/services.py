"""Real services for integration tests, started by the project's own scripts on loopback."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "examples" / "shop"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def require_mariadb() -> None:
    if shutil.which("mariadbd") is None and not Path("/usr/sbin/mariadbd").exists():
        pytest.fail(
            "MariaDB is not installed: run scripts/test.sh (it installs it) or "
            "`apt-get install -y mariadb-server`",
            pytrace=False,
        )


def require_mysqlclient() -> None:
    try:
        import MySQLdb  # noqa: F401
    except ImportError:
        pytest.fail(
            "mysqlclient is not installed: run scripts/test.sh, or `apt-get install -y "
            "libmariadb-dev pkg-config && pip install 'e2e-otel[test]'`",
            pytrace=False,
        )


@dataclass
class MariaDB:
    port: int
    directory: Path

    def start(self) -> None:
        require_mariadb()
        result = subprocess.run(
            ["bash", str(ROOT / "scripts" / "mariadb.sh"), "start"],
            env={**os.environ, **self.env()},
            capture_output=True,
            text=True,
            timeout=180,
        )
        if result.returncode != 0:
            pytest.fail(f"scripts/mariadb.sh start failed:\n{result.stderr}", pytrace=False)

    def stop(self) -> None:
        subprocess.run(
            ["bash", str(ROOT / "scripts" / "mariadb.sh"), "stop"],
            env={**os.environ, **self.env()},
            capture_output=True,
            timeout=120,
        )

    def env(self) -> dict[str, str]:
        return {"E2E_MARIADB_PORT": str(self.port), "E2E_MARIADB_DIR": str(self.directory)}

    def shop_env(self) -> dict[str, str]:
        return {"SHOP_DB_HOST": "127.0.0.1", "SHOP_DB_PORT": str(self.port)}


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The test process's environment without any OTel/e2e settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "E2E_OTEL_", "SHOP_"))}
    env.update(extra)
    return env


def manage(db: MariaDB, *args: str, timeout: float = 600) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=SHOP,
        env=clean_env(db.shop_env()),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}", pytrace=False)
    return result.stdout


@dataclass
class ShopServer:
    """The demo shop under ``runserver --noreload``, traced by e2e-otel in ``mode``:
    ``instrument`` (opentelemetry-instrument, no code change) or ``configure`` (code-based)."""

    db: MariaDB
    mode: str
    traces: Path
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[str] | None = None
    log: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = clean_env(
            {
                **self.db.shop_env(),
                "DJANGO_SETTINGS_MODULE": "shop_project.settings",
                "OTEL_SERVICE_NAME": f"shop-api-{self.mode}",
                "OTEL_TRACES_EXPORTER": "none",
                "OTEL_BSP_SCHEDULE_DELAY": "200",
                "E2E_OTEL_TRACES_FILE": str(self.traces),
                "E2E_OTEL_CONFIG": str(SHOP / "e2e-otel.yaml"),
                **self.extra_env,
            }
        )
        command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"]
        if self.mode == "instrument":
            command = [str(BIN / "opentelemetry-instrument"), *command]
        else:
            env["SHOP_E2E_OTEL_CONFIGURE"] = "1"
        self.log = self.traces.with_suffix(".log")
        self.process = subprocess.Popen(
            command,
            cwd=SHOP,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"shop exited early:\n{self.log.read_text()[-3000:]}", pytrace=False)
            try:
                urllib.request.urlopen(f"{self.base_url}/api/products/?page=1", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        pytest.fail("shop did not answer within 60 s", pytrace=False)

    def stop(self) -> str:
        """Stop like Ctrl-C (so the SDK flushes at exit); return the server log."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.log.read_text() if self.log else ""
