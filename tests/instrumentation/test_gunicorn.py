"""The documented gunicorn config (examples/shop/gunicorn.conf.py) with several workers, with
and without ``--preload``: every worker's server spans reach the file by the exit flush.

With ``--preload`` the master loads the app, and Django builds its middleware chain, before
any worker forks: tracing set up only in ``post_fork`` gave no server spans at all."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from e2e_otel.sources.otlp_files import read_spans
from tests.integration.services import free_port, terminate

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _get(url: str, correlation_id: str) -> str:
    """The pid of the worker that answered."""
    request = urllib.request.Request(url, headers={"X-Correlation-ID": correlation_id})
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.read().decode())


@pytest.mark.parametrize("preload", [False, True], ids=["fork", "preload"])
def test_every_worker_traces_with_the_documented_config(tmp_path: Path, preload: bool) -> None:
    if not GUNICORN.exists():
        pytest.fail("gunicorn is not installed: pip install gunicorn", pytrace=False)
    traces, port = tmp_path / "traces.jsonl", free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "E2E_OTEL_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.instrumentation.gunicorn_site",
        PYTHONPATH=str(ROOT),
        OTEL_TRACES_EXPORTER="none",
        OTEL_BSP_SCHEDULE_DELAY="600000",  # nothing on schedule: only the exit flush
        E2E_OTEL_TRACES_FILE=str(traces),
    )
    command = [str(GUNICORN), "-c", str(ROOT / "examples/shop/gunicorn.conf.py")]
    command += ["--workers", "3", "--bind", f"127.0.0.1:{port}"]
    command += ["--preload"] if preload else []
    command += ["django.core.wsgi:get_wsgi_application()"]
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log)
        try:
            url = f"http://127.0.0.1:{port}/api/ping/"
            deadline = time.monotonic() + 30
            while True:
                try:
                    _get(url, "warmup")
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        pytest.fail(log_path.read_text()[-3000:])
                    time.sleep(0.2)
            # Until every worker answered: one still booting when SIGTERM comes loses the
            # signal (gunicorn's own race, before it installs the worker's handlers).
            sent: set[str] = set()
            pids: set[str] = set()
            while len(pids) < 3 or len(sent) < 30:
                if time.monotonic() > deadline:
                    pytest.fail(f"workers answering: {len(pids)}\n{log_path.read_text()[-3000:]}")
                sent.add(f"req-{len(sent)}")
                pids.add(_get(url, f"req-{len(sent) - 1}"))
        finally:
            terminate(server, 30)
    output = log_path.read_text()
    assert server.returncode == 0, output[-3000:]
    exported = {
        span.attributes.get("e2e.workflow.id")
        for span in read_spans([traces])
        if span.kind == "server"
    }
    lost = sent - exported
    assert not lost, f"{len(lost)} of {len(sent)} requests untraced\n{output[-3000:]}"
