"""The documented gunicorn setup (examples/shop/gunicorn.conf.py): tracing configured in each
worker after the fork, and every queued span flushed when gunicorn is stopped with SIGTERM."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from e2e_otel.sources.otlp_files import read_spans
from tests.integration.services import BIN, SHOP, MariaDB, clean_env, free_port, terminate

pytestmark = pytest.mark.integration


def test_gunicorn_workers_trace_and_flush_on_sigterm(shop_db: MariaDB, tmp_path: Path) -> None:
    gunicorn = BIN / "gunicorn"
    if not gunicorn.exists():
        pytest.fail("gunicorn is not installed: pip install 'e2e-otel[test]'", pytrace=False)
    traces, port = tmp_path / "traces.jsonl", free_port()
    env = clean_env(
        {
            **shop_db.shop_env(),
            "DJANGO_SETTINGS_MODULE": "shop_project.settings",
            "OTEL_SERVICE_NAME": "shop-gunicorn",
            "OTEL_TRACES_EXPORTER": "none",
            # Nothing is exported on schedule: the spans reach the file only by the exit flush.
            "OTEL_BSP_SCHEDULE_DELAY": "600000",
            "E2E_OTEL_TRACES_FILE": str(traces),
            "SHOP_BIND": f"127.0.0.1:{port}",
            "SHOP_WORKERS": "2",
        }
    )
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py"], cwd=SHOP, env=env, stdout=log, stderr=log
    )
    trace_ids: set[str] = set()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.get("/api/products/1/")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        pytest.fail((tmp_path / "gunicorn.log").read_text()[-3000:])
                    time.sleep(0.2)
            for _ in range(20):
                response = client.get("/api/products/2/")
                assert response.status_code == 200
                match = re.fullmatch(
                    r"00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}", response.headers["traceresponse"]
                )
                assert match is not None, response.headers["traceresponse"]
                trace_ids.add(match.group(1))
    finally:
        try:
            terminate(server, 60)
        finally:
            log.close()
    output = (tmp_path / "gunicorn.log").read_text()
    assert server.returncode == 0, output[-3000:]
    exported = {span.trace_id for span in read_spans([traces]) if span.kind == "server"}
    assert trace_ids <= exported, f"{len(trace_ids - exported)} of 20 traces lost\n{output[-3000:]}"
