"""No credential in any log record: a service-mode run of ``e2e-otel analyze`` against a
loopback Prometheus (user:password in its URL) and Tempo (a token), with every logger (httpx,
httpcore, e2e_otel, the root) captured at DEBUG, through a good run and a failed one whose
error bodies echo the credentials; and Grafana annotations published through a URL with a
user:password beside the token."""

from __future__ import annotations

import base64
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from e2e_otel import cli
from e2e_otel import metrics as m
from e2e_otel.publish.grafana import AnnotationPublisher
from tests.jsonhttp import JsonHandler
from tests.publish.test_grafana_annotations import TOKEN as GRAFANA_TOKEN
from tests.publish.test_grafana_annotations import FakeGrafana, grafana  # noqa: F401 (fixture)
from tests.publish.test_prometheus_exposition import findings_report
from tests.test_cli_service import _free_port

PASSWORD = "pa55word-42"
TOKEN = "tempo-t0ken-7f3a"
BASIC = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
SECRETS = (PASSWORD, TOKEN, BASIC, GRAFANA_TOKEN)
SAFETY = 60.0  # seconds before a stuck service is stopped (the test then fails)


class Records(logging.Handler):
    """Every record of every logger, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{self.format(record)} {record.args!r}")


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    loggers = [logging.getLogger(name) for name in ("", "httpx", "httpcore", "e2e_otel")]
    levels = [logger.level for logger in loggers]
    root = loggers[0]
    root.addHandler(handler)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class Backends:
    """Prometheus and Tempo on one loopback port. ``failing``: answer 401 with a body that
    echoes the credentials received, as some proxies do."""

    def __init__(self) -> None:
        self.failing = False
        self.seen: list[str] = []
        backends = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:
                auth = self.headers.get("Authorization", "")
                backends.seen.append(auth)
                if backends.failing:
                    decoded = base64.b64decode(auth[6:]).decode() if auth[:6] == "Basic " else ""
                    echo = {"error": f"refused {auth} ({decoded}) for {self.path}"}
                    return self._reply(401, echo)
                return self._reply(200, self._answer())

            def _answer(self) -> Any:
                if self.path.startswith("/api/v1/query_range"):
                    return {"status": "success", "data": {"resultType": "matrix", "result": []}}
                if self.path.startswith("/api/v1/query"):
                    return {"status": "success", "data": {"resultType": "vector", "result": []}}
                return {"traces": []}  # Tempo: nothing matched

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Backends:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _runs(url: str, outcome: str) -> float:
    try:
        text = httpx.get(url, timeout=2).text
    except httpx.HTTPError:
        return 0.0
    prefix = f'{m.ANALYSIS_RUNS}{{outcome="{outcome}"}} '
    values = [line.removeprefix(prefix) for line in text.splitlines() if line.startswith(prefix)]
    return float(values[0]) if values else 0.0


def _drive(metrics: str, backends: Backends, done: list[str]) -> None:
    """One good run, then one failed run, then SIGTERM to the service in the main thread."""
    deadline = time.monotonic() + SAFETY
    while time.monotonic() < deadline and _runs(metrics, "success") < 1:
        time.sleep(0.05)
    backends.failing = True
    while time.monotonic() < deadline and _runs(metrics, "failure") < 1:
        time.sleep(0.05)
    done.append("failure seen" if _runs(metrics, "failure") >= 1 else "timed out")
    os.kill(os.getpid(), signal.SIGTERM)  # handled by the service: it stops cleanly


def test_service_mode_logs_no_credential_at_any_level(
    tmp_path: Path,
    records: Records,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "e2e-otel.yaml"
    config.write_text(
        "backends:\n"
        "  tempo: {token_env: E2E_TEST_TEMPO_TOKEN, retries: 0}\n"
        "  prometheus: {retries: 0}\n"
    )
    monkeypatch.setenv("E2E_TEST_TEMPO_TOKEN", TOKEN)
    port = _free_port()
    done: list[str] = []
    with Backends() as backends:
        base = f"127.0.0.1:{backends.port}"
        driver = threading.Thread(
            target=_drive, args=(f"http://127.0.0.1:{port}/metrics", backends, done)
        )
        driver.start()
        code = cli.main(
            [
                "analyze",
                "--config",
                str(config),
                "--prometheus",
                f"http://admin:{PASSWORD}@{base}",
                "--tempo",
                f"http://{base}",
                "--every",
                "1s",
                "--serve",
                f"127.0.0.1:{port}",
            ]
        )
        driver.join()
    assert code == 0 and done == ["failure seen"]
    # The credentials were sent: basic authentication to Prometheus, the token to Tempo.
    assert f"Basic {BASIC}" in backends.seen and f"Bearer {TOKEN}" in backends.seen
    assert any(line.startswith("httpx INFO HTTP Request: GET http://") for line in records.lines)
    assert any("httpcore" in line for line in records.lines)
    assert any("analysis run failed" in line for line in records.lines)
    out = capsys.readouterr()
    for secret in SECRETS:
        leaked = [line for line in records.lines if secret in line]
        assert not leaked, leaked
        assert secret not in out.out + out.err


def test_grafana_annotations_log_no_credential(
    grafana: FakeGrafana,  # noqa: F811 (the fixture)
    records: Records,
) -> None:
    url = grafana.url.replace("http://", f"http://admin:{PASSWORD}@")
    counts = AnnotationPublisher(url, GRAFANA_TOKEN).publish(findings_report())
    assert counts.created == 3
    assert grafana.requests and all(a == f"Bearer {GRAFANA_TOKEN}" for _, _, a in grafana.requests)
    assert records.lines  # the HTTP client logged its requests
    for secret in SECRETS:
        assert not [line for line in records.lines if secret in line]
