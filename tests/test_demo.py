"""`e2e-otel demo` end to end: the shop on SQLite, traced in-process, analyzed into reports.

Runs the real command once in a subprocess (~12 s: seeding 1M page views dominates) and
checks that the report names the three planted problems, found with the default analyzer
settings and thresholds. Django and DRF are required: without them the demo exits 2 saying
how to install them, and these tests fail with that message.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from e2e_otel.cli import demo as demo_module
from e2e_otel.config import Config, load_config
from tests.publish.htmltree import parse

ROOT = Path(__file__).resolve().parent.parent
DEMO = ["-c", "import sys; from e2e_otel.cli import main; sys.exit(main())", "demo"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("demo") / "out"
    done = subprocess.run(
        [sys.executable, *DEMO, "--out", str(out), "--iterations", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return done, out


@pytest.fixture(scope="module")
def report(demo: tuple[subprocess.CompletedProcess[str], Path]) -> dict[str, Any]:
    done, out = demo
    assert done.returncode == 0, done.stderr[-3000:]
    loaded: dict[str, Any] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return loaded


def _findings(report: dict[str, Any], rule: str, route: str) -> list[dict[str, Any]]:
    return [
        r
        for r in report["recommendations"]
        if r["rule"] == rule and r["evidence"]["route"] == route
    ]


def test_exit_code_verdict_and_files(demo: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, out = demo
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"^e2e-otel: \d+ spans in \d+ traces, complete; findings: ", done.stdout, re.M)
    for name in ("traces.jsonl", "report.html", "report.md", "report.json"):
        assert (out / name).is_file(), name
        assert str(out / name) in done.stdout
    # The deliberate 500s are in the traces, not dumped on the console.
    assert "Traceback" not in done.stderr
    # No browser in this demo: it says so and names the one that has one.
    assert "./scripts/storefront-demo.sh" in done.stderr


def test_the_demo_analyzes_with_default_settings() -> None:
    config = load_config(demo_module.shop_dir() / demo_module.CONFIG_NAME)
    assert config.analyzers == {}, "the findings below must come from the default rules"
    assert config.thresholds == Config().thresholds


def test_names_the_n_plus_one_endpoint(report: dict[str, Any]) -> None:
    (finding,) = _findings(report, "n_plus_one", "api/products/with-reviews/")
    evidence = finding["evidence"]
    assert evidence["method"] == "GET"
    assert "shop_review" in evidence["fingerprint"]
    # One reviews query per seeded product: the page lists them all.
    assert evidence["figures"]["avg_repeats"] == demo_module.PRODUCTS
    assert evidence["figures"]["requests_affected"] == 1


def test_names_the_slow_unindexed_query_with_its_index(report: dict[str, Any]) -> None:
    slow = [
        r
        for r in report["recommendations"]
        if r["rule"] == "slow_queries" and "shop_pageview" in (r["evidence"]["fingerprint"] or "")
    ]
    assert len(slow) == 1, [r["title"] for r in report["recommendations"]]
    finding = slow[0]
    assert finding["evidence"]["route"] == "api/reports/pageviews/"
    assert finding["evidence"]["figures"]["p95_ms"] > 50  # over thresholds.database.warning_ms
    index_steps = [s for s in finding["steps"] if "CREATE INDEX" in s]
    assert index_steps and "referrer" in index_steps[0], finding["steps"]
    assert "shop_pageview (referrer)" in index_steps[0]


def test_names_the_integrity_error_hotspot(report: dict[str, Any]) -> None:
    (finding,) = _findings(report, "error_hotspot", "api/products/duplicate-sku/")
    assert finding["category"] == "database"
    assert "db_integrity" in finding["title"]
    assert "shop_product" in finding["evidence"]["fingerprint"]


def test_report_html_is_self_contained(demo: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, out = demo
    assert done.returncode == 0, done.stderr[-3000:]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    for node in parse(html).iter():
        assert node.tag not in {"script", "link", "img", "iframe", "object"}, node.tag
        for name in node.attrs:
            assert name not in {"src", "href", "xlink:href", "srcset", "action", "data"}, name
    assert "url(" not in html and "@import" not in html
    assert not re.findall(r"https?://[^\s<\"]*", html)
    assert "api/products/with-reviews/" in html and "referrer" in html


def test_without_the_shop_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(demo_module.DemoError, match="source checkout"):
        demo_module.run_demo(tmp_path / "out", 1, shop=tmp_path / "no-shop")


def test_bad_iterations_exit_2_with_one_line() -> None:
    done = subprocess.run(
        [sys.executable, *DEMO, "--iterations", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == "e2e-otel: error: --iterations must be between 1 and 1000\n"
