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
from collections.abc import Callable, Mapping
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


def terminate(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM, as a service manager stops a server, then SIGKILL after ``timeout`` s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()


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
        log = self.log
        url = f"{self.base_url}/api/products/?page=1"
        if not wait_until_answers(url, self.process, "shop", lambda: log.read_text()):
            self.stop()
            pytest.fail("shop did not answer within 60 s", pytrace=False)

    def stop(self) -> str:
        """Stop like Ctrl-C (so the SDK flushes at exit); return the server log."""
        interrupt(self.process)
        return self.log.read_text() if self.log else ""


def wait_until_answers(
    url: str, process: subprocess.Popen[str], name: str, log: Callable[[], str], timeout: float = 60
) -> bool:
    """Poll ``url`` until it answers (True) or ``timeout`` passes (False); a test failure
    with the end of ``log()`` if ``process`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{name} exited early:\n{log()[-3000:]}", pytrace=False)
        try:
            urllib.request.urlopen(url, timeout=2)
            return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    return False


def interrupt(process: subprocess.Popen[str] | None) -> None:
    """Stop a server like Ctrl-C (its SDK flushes at exit); killed after 30 s."""
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
