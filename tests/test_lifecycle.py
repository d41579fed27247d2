"""SIGTERM (docker stop, systemd, kill) flushes the queued spans, and an app's own SIGTERM
handler is left as it is: real child processes, real signals, spans read back from the file."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from e2e_otel.sources.otlp_files import read_spans
from tests.integration.services import clean_env

# The batch would wait 60 s before exporting: only a flush at exit gets the spans out.
APP = textwrap.dedent(
    """
    import signal, sys, time
    if sys.argv[1] == "own-handler":
        def handler(signum, frame):
            print("app handler ran", flush=True)
            sys.exit(0)
        signal.signal(signal.SIGTERM, handler)
    import e2e_otel
    from opentelemetry import trace

    e2e_otel.configure(service_name="sigterm-app", instrument=False)
    tracer = trace.get_tracer("app")
    for index in range(300):
        with tracer.start_as_current_span(f"work {index}"):
            pass
    print("ready", flush=True)
    time.sleep(120)
    """
)


def _run_and_terminate(tmp_path: Path, mode: str, **extra: str) -> tuple[int, str, int]:
    traces = tmp_path / "traces.jsonl"
    env = clean_env(
        {
            "OTEL_TRACES_EXPORTER": "none",
            "E2E_OTEL_TRACES_FILE": str(traces),
            "OTEL_BSP_SCHEDULE_DELAY": "60000",
            **extra,
        }
    )
    child = subprocess.Popen(
        [sys.executable, "-c", APP, mode],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "ready"
        child.send_signal(signal.SIGTERM)
        output, _ = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    spans = list(read_spans([traces])) if traces.exists() else []
    return child.returncode, output, len(spans)


def test_sigterm_flushes_queued_spans_and_still_terminates(tmp_path: Path) -> None:
    returncode, output, spans = _run_and_terminate(tmp_path, "default")
    assert returncode == -signal.SIGTERM, output
    assert spans == 300, output


def test_an_apps_own_sigterm_handler_is_kept(tmp_path: Path) -> None:
    returncode, output, spans = _run_and_terminate(tmp_path, "own-handler")
    assert "app handler ran" in output
    assert returncode == 0
    assert spans == 300, output  # its sys.exit() runs the SDK's atexit flush


@pytest.mark.parametrize("value", ["false", "0"])
def test_the_flush_can_be_turned_off(tmp_path: Path, value: str) -> None:
    returncode, output, spans = _run_and_terminate(
        tmp_path, "default", E2E_OTEL_FLUSH_ON_SIGTERM=value
    )
    assert returncode == -signal.SIGTERM
    assert spans == 0, output
