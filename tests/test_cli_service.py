"""`e2e-otel analyze` flags for the backends and service mode: bad combinations exit 2 with one
line, an unreachable backend exits 2 naming it, and `--every --serve` serves the findings of
real OTLP files on /metrics until SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from e2e_otel.stack import metrics as m
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
