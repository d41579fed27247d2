"""The demo shop through the scaled-out stack: its traffic enters the gateway, span metrics go
to a Prometheus served under ``/prometheus`` (the path Mimir serves its Prometheus API on, so
remote write and queries go through a base URL with a path), raw spans go through two
tail-sampling collectors. The analyzer still names the planted problems: from Prometheus
(exact, 100 % of the spans) and from the traces the samplers kept."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from e2e_otel import metrics as m
from e2e_otel.analyzers.backends import analyze_backends
from e2e_otel.analyzers.models import Report, Sampling
from e2e_otel.analyzers.run import analyze_files
from e2e_otel.config import parse_config
from e2e_otel.publish import render_markdown
from e2e_otel.sources.http import JsonClient
from e2e_otel.sources.otlp_files import read_spans
from e2e_otel.sources.prometheus import PrometheusClient
from e2e_otel.stack.scale_native import ScaledStack
from tests.integration.services import SHOP, MariaDB, ShopServer
from tests.stack.conftest import Prometheus, eventually, required

pytestmark = pytest.mark.integration

SERVICE = "shop-api-scaled"
# As in tests/stack/test_backend_analysis.py: thresholds low enough that the planted slow
# endpoint and statement are findings on any machine; the N+1 loop is found by count.
CONFIG = parse_config(
    {
        "thresholds": {
            "api": {"warning_ms": 1, "critical_ms": 10000},
            "database": {"warning_ms": 1, "critical_ms": 200},
        }
    }
)
WINDOW = timedelta(minutes=30)


@dataclass
class ScaledRun:
    backend: Report
    sampled: Report
    files: Report  # every span, as the shop's SDK wrote them
    sdk_spans: int
    kept_spans: int


def _span_count(paths: list[Path]) -> int:
    count = 0
    for path in paths:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                for resource in json.loads(line).get("resourceSpans", []):
                    for scope in resource.get("scopeSpans", []):
                        count += len(scope.get("spans", []))
    return count


@pytest.fixture(scope="module")
def scaled(shop_db: MariaDB, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaledRun]:
    stack = ScaledStack(
        tmp_path_factory.mktemp("scaled"),
        samplers=2,
        sampling_percent=10,
        route_prefix="/prometheus",
    )
    required(stack.start)
    try:
        shop = ShopServer(
            shop_db,
            mode="instrument",
            traces=tmp_path_factory.mktemp("scaled-shop") / "sdk-traces.jsonl",
            extra_env={
                "OTEL_SERVICE_NAME": SERVICE,
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_EXPORTER_OTLP_ENDPOINT": stack.otlp_http_endpoint,
            },
        )
        shop.start()
        try:
            traffic = subprocess.run(
                [
                    sys.executable,
                    str(SHOP / "traffic.py"),
                    f"--base-url={shop.base_url}",
                    "--seed=7",
                ],
                capture_output=True,
                text=True,
                timeout=300,
            )
        finally:
            log = shop.stop()
        assert traffic.returncode == 0, f"{traffic.stdout}\n{traffic.stderr}\n{log[-3000:]}"
        assert re.search(r"^\d+ requests in", traffic.stdout, re.MULTILINE), traffic.stdout
        sdk_spans = len(list(read_spans([shop.traces])))
        prom = Prometheus(stack.prometheus_url)
        calls = f'{m.SPAN_CALLS}{{{m.SERVICE}="{SERVICE}"}}'

        def settled() -> bool:
            counted = prom.scalar(f"sum({calls})") == sdk_spans
            return counted and not prom.query(f"count_over_time({calls}[1h]) < 2")

        eventually(settled, "the prefixed Prometheus to count every span, twice sampled", 120)

        def kept() -> int | None:
            first = _span_count(stack.sampler_files)
            time.sleep(3)
            return first if first and first == _span_count(stack.sampler_files) else None

        kept_spans = eventually(kept, "the samplers' decisions", 90)
        now = datetime.now(timezone.utc)
        client = PrometheusClient(JsonClient("prometheus", stack.prometheus_url))
        with client.http:
            backend = analyze_backends(
                CONFIG, prometheus=client, tempo=None, window=WINDOW, baseline=WINDOW, now=now
            )
        sampled = analyze_files(stack.sampler_files, CONFIG, now)
        files = analyze_files([shop.traces], CONFIG, now)
        yield ScaledRun(backend, sampled, files, sdk_spans, kept_spans)
    finally:
        stack.stop()


def test_sampling_dropped_spans(scaled: ScaledRun) -> None:
    assert 0 < scaled.kept_spans < scaled.sdk_spans


def test_prometheus_under_a_path_names_the_planted_problems(scaled: ScaledRun) -> None:
    assert scaled.backend.complete, scaled.backend.problems
    titles = [r.title for r in scaled.backend.recommendations]
    assert any(
        r.rule == "slow_endpoint" and "api/reports/pageviews/" in r.title
        for r in scaled.backend.recommendations
    ), titles
    # Prometheus knows statements by fingerprint id; the shop's own spans give the text.
    (pageviews,) = [
        r.evidence.fingerprint_id
        for r in scaled.files.recommendations
        if r.rule == "slow_queries" and "shop_pageview" in (r.evidence.fingerprint or "")
    ]
    backend_ids = {
        r.evidence.fingerprint_id
        for r in scaled.backend.recommendations
        if r.rule == "slow_queries"
    }
    assert pageviews in backend_ids, titles


def test_the_kept_traces_still_show_the_n_plus_one(scaled: ScaledRun) -> None:
    routes = {r.evidence.route for r in scaled.sampled.recommendations if r.rule == "n_plus_one"}
    assert "api/products/with-reviews/" in routes, routes


def test_the_report_on_the_kept_traces_says_they_are_a_sample(scaled: ScaledRun) -> None:
    # The samplers mark every span they keep; the shop's own file is every span, unmarked.
    assert scaled.sampled.sampling == Sampling("tail", (10.0,), scaled.sampled.spans)
    note = render_markdown(scaled.sampled)
    assert "**Sampled traces:** Traces from a sampling tier" in note, note[:2000]
    assert "the others at 10 %" in note and "not of all requests" in note
    assert scaled.files.sampling is None
