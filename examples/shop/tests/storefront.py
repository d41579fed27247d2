"""The demo storefront (examples/shop-web) under `next start`, and Debian's Chromium for
Playwright: what the browser test needs, each failing (never skipping) with how to get it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
STOREFRONT = ROOT / "examples" / "shop-web"
NEXT_BIN = STOREFRONT / "node_modules" / "next" / "dist" / "bin" / "next"
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
# No sandbox (CI runs as root), and no background traffic to Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BUILD_HINT = (
    "build it from the repository root: bash -c '. scripts/lib.sh && build_storefront' "
    "(Node >= 20: apt-get install -y nodejs npm)"
)


def require_browser() -> None:
    """Playwright for Python and Debian's Chromium (Playwright's own download is never used)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("playwright is missing: pip install -e '.[test]'", pytrace=False)
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium", pytrace=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Storefront:
    """`next start` of the built storefront on a free loopback port. The server reads the shop
    API's URL and the OTLP endpoint at run time: one build runs against any ports."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, api_url: str, otlp_endpoint: str) -> None:
        if shutil.which("node") is None:
            pytest.fail("node not found: apt-get install -y nodejs npm (Node >= 20)", pytrace=False)
        if not NEXT_BIN.exists() or not (STOREFRONT / ".next" / "BUILD_ID").exists():
            pytest.fail(f"the storefront is not built: {BUILD_HINT}", pytrace=False)
        env = {
            **os.environ,
            "SHOP_API_URL": api_url,
            "OTEL_COLLECTOR_URL": otlp_endpoint,  # the page's spans (OTLP JSON)
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint,  # the Next.js server's (protobuf)
            "OTEL_BSP_SCHEDULE_DELAY": "500",
            "NEXT_TELEMETRY_DISABLED": "1",
        }
        command = ["node", str(NEXT_BIN), "start", "-H", "127.0.0.1", "-p", str(self.port)]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=STOREFRONT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"next start exited early:\n{self.tail()}", pytrace=False)
            try:
                urllib.request.urlopen(f"{self.origin}/login", timeout=2).close()
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        pytest.fail(f"next start did not answer within 60 s:\n{self.tail()}", pytrace=False)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
