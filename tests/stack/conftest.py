"""The real pipeline for stack tests: the built collector and Debian's Prometheus on loopback
(e2e_otel.stack.native), fed by the demo shop on MariaDB under opentelemetry-instrument."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from e2e_otel.stack.native import NativeStack, StackError, find_collector, find_prometheus
from tests.integration.services import SHOP, MariaDB, ShopServer

T = TypeVar("T")
SERVICE = "shop-api"


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    """Poll ``probe`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}", pytrace=False)
        time.sleep(0.5)


@dataclass
class Prometheus:
    """A tiny client for the HTTP API of the stack's Prometheus."""

    url: str

    def get(self, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.url}{path}", params=params, timeout=10)
        body = response.json()
        assert body.get("status") == "success", f"{path} {params}: {body}"
        return body["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get("/api/v1/query", query=promql)["result"]
        return result

    def series(self, match: str) -> list[dict[str, str]]:
        found: list[dict[str, str]] = self.get("/api/v1/series", **{"match[]": match})
        return found

    def metric_names(self) -> set[str]:
        return set(self.get("/api/v1/label/__name__/values"))

    def scalar(self, promql: str) -> float:
        result = self.query(promql)
        return float(result[0]["value"][1]) if result else 0.0


@dataclass
class PipelineRun:
    """The demo traffic after it went through the real pipeline."""

    stack: NativeStack
    prometheus: Prometheus
    requests: int  # HTTP requests the traffic generator sent
    sdk_traces: Path  # what the shop's SDK exported, written by the shop process itself


def required(get: Callable[[], T]) -> T:
    """``get()``, or a test failure (never a skip) saying what is missing and how to get it."""
    try:
        return get()
    except StackError as exc:
        message = str(exc)
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="session")
def collector_bin() -> Path:
    return required(find_collector)


@pytest.fixture(scope="session")
def prometheus_bin() -> Path:
    return required(find_prometheus)


@pytest.fixture(scope="session")
def native_stack(
    collector_bin: Path, prometheus_bin: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NativeStack]:
    stack = NativeStack(
        tmp_path_factory.mktemp("stack"), collector_bin=collector_bin, prometheus_bin=prometheus_bin
    )
    required(stack.start)  # stops what it started before raising
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def pipeline_run(
    native_stack: NativeStack, shop_db: MariaDB, tmp_path_factory: pytest.TempPathFactory
) -> PipelineRun:
    """Every demo workflow, 3 rounds (so each meets every propagation style), from the shop
    through the collector into Prometheus."""
    shop = ShopServer(
        shop_db,
        mode="instrument",
        traces=tmp_path_factory.mktemp("shop") / "sdk-traces.jsonl",
        extra_env={
            "OTEL_SERVICE_NAME": SERVICE,
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": native_stack.otlp_http_endpoint,
        },
    )
    shop.start()
    try:
        traffic = subprocess.run(
            [sys.executable, str(SHOP / "traffic.py"), f"--base-url={shop.base_url}", "--seed=7"],
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        log = shop.stop()  # SIGINT: the SDK flushes its last spans to the collector
    assert traffic.returncode == 0, f"{traffic.stdout}\n{traffic.stderr}\n{log[-3000:]}"
    match = re.search(r"^(\d+) requests in", traffic.stdout, re.MULTILINE)
    assert match, traffic.stdout
    assert shop.traces.exists(), log[-3000:]
    return PipelineRun(
        native_stack, Prometheus(native_stack.prometheus_url), int(match[1]), shop.traces
    )
