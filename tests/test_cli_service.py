"""`e2e-otel analyze` flags for the backends and service mode: bad combinations exit 2 with one
line, an unreachable backend exits 2 naming it, so does one answering garbage, one failing
beside one that answers leaves an incomplete report, and `--every --serve` serves the findings
of real OTLP files on /metrics until SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from e2e_otel import metrics as m
from tests.test_cli_analyze import _cli, _write_traces


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "nothing to analyze"),
        (("x.jsonl", "--prometheus", "http://127.0.0.1:9"), "not both"),
        (("x.jsonl", "--serve", "127.0.0.1:9464"), "--serve needs --every"),
        (("x.jsonl", "--every", "5 minutes"), "not a duration"),
        (("x.jsonl", "--every", "5m", "--serve", "9464"), "HOST:PORT"),
        (("x.jsonl", "--every", "5m", "--fail-on", "high"), "--fail-on"),
        (("--prometheus", "http://127.0.0.1:9", "--window", "soon"), "--window"),
        (("--tempo", "http://127.0.0.1:9", "--max-traces", "0"), "--max-traces"),
        (("--prometheus", "localhost:9090"), "needs http:// or https:// and a host"),
        (("--tempo", "http://tempo:99999"), "port 99999"),
        (("--prometheus", "prom:9090", "--every", "5m"), "needs http://"),
        (("--prometheus", "http://127.0.0.1:9", "--time-limit", "a while"), "--time-limit"),
    ],
)
def test_bad_flags_exit_2_with_one_line(args: tuple[str, ...], message: str) -> None:
    result = _cli("analyze", *args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("e2e-otel: error: "), result.stderr
    assert message in lines[0]


def test_a_backend_that_is_down_exits_2_naming_it(tmp_path: Path) -> None:
    port = _free_port()  # nothing listens there
    config = tmp_path / "e2e-otel.yaml"
    config.write_text("backends:\n  prometheus: {url: 'http://x', retries: 0}\n")
    result = _cli(
        "analyze", "--config", config, "--prometheus", f"http://127.0.0.1:{port}", "--quiet"
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"e2e-otel: error: prometheus http://127.0.0.1:{port}")
    assert not result.stdout  # no report, not even a partial one


def test_a_password_in_a_backend_url_is_not_shown(tmp_path: Path) -> None:
    port = _free_port()
    result = _cli("analyze", "--prometheus", f"http://admin:hunter22@127.0.0.1:{port}")
    assert result.returncode == 2
    assert "hunter22" not in result.stderr + result.stdout
    assert f"prometheus http://***@127.0.0.1:{port}/api/v1/query" in result.stderr


@contextmanager
def _serving(answer: Callable[[str], bytes]) -> Iterator[str]:
    """A loopback backend answering each GET with ``answer(path)``; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = answer(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _empty_prometheus(path: str) -> bytes:
    kind = "matrix" if path.startswith("/api/v1/query_range") else "vector"
    return json.dumps({"status": "success", "data": {"resultType": kind, "result": []}}).encode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            b'{"status":"success","data":{"resultType":"vector","result":[{"value":{"a":1}}]}}',
            "malformed answer: data.result[0].value: expected a list, got an object {'a': 1}",
        ),
        (b"[" * 100_000, "invalid JSON in the response: nested too deeply"),
        (
            b'{"status":"success","data":[1]}',
            "malformed answer: data: expected an object, got a list [1]",
        ),
    ],
)
def test_a_backend_answering_garbage_exits_2_with_one_line(body: bytes, reason: str) -> None:
    with _serving(lambda path: body) as url:
        result = _cli("analyze", "--prometheus", url, "--quiet")
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line == f"e2e-otel: error: prometheus {url}/api/v1/query: {reason}"
    assert not result.stdout


def test_tempo_down_beside_prometheus_still_writes_an_incomplete_report(tmp_path: Path) -> None:
    config = tmp_path / "e2e-otel.yaml"
    config.write_text("backends:\n  tempo: {retries: 0}\n")
    out = tmp_path / "report.json"
    tempo = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    with _serving(_empty_prometheus) as prometheus:
        result = _cli(
            "analyze", "--config", config, "--prometheus", prometheus, "--tempo", tempo,
            "--json", out,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["complete"] is False
    failure = f"tempo {tempo}/api/search: cannot connect"
    assert any(p.startswith(failure) for p in report["problems"]), report["problems"]
    assert f"e2e-otel: warning: {failure}" in result.stderr
    assert "INCOMPLETE" in result.stderr and "Traceback" not in result.stderr


def _metrics(url: str) -> str | None:
    try:
        response = httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return None
    return response.text if response.status_code == 200 else None


def test_service_mode_serves_the_findings_until_sigterm(tmp_path: Path) -> None:
    traces = tmp_path / "traces.jsonl"
    _write_traces(traces)
    port = _free_port()
    html = tmp_path / "report.html"
    exe = Path(sys.executable).parent / "e2e-otel"
    command = [str(exe), "analyze", str(traces), "--every", "1h", "--html", str(html)]
    process = subprocess.Popen(
        [*command, "--serve", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        text = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            text = _metrics(f"http://127.0.0.1:{port}/metrics")
            if text and f'{m.ANALYSIS_RUNS}{{outcome="success"}} 1.0' in text:
                break
            time.sleep(0.2)
        assert text and f'{m.ANALYSIS_RUNS}{{outcome="success"}} 1.0' in text, text
        # The slow unindexed statement of the traces is a finding, served with its labels.
        finding = [line for line in text.splitlines() if line.startswith(m.FINDING_INFO + "{")]
        assert any('route="api/reports/"' in line for line in finding), finding
        assert m.SLOW_QUERY_P95 in text
        assert html.is_file()  # each run also rewrites the requested reports
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert f"serving http://127.0.0.1:{port}/metrics" in stderr
    assert _metrics(f"http://127.0.0.1:{port}/metrics") is None  # the port is released
