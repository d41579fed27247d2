"""``analyze_files`` on what the real collector's file exporter wrote: the demo traffic that went
shop -> OTLP/HTTP -> collector -> ``file/traces`` must analyze exactly like the file the shop's
own SDK wrote for the same traffic: same spans, same traces, same findings with the same ids."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from e2e_otel.analyzers.models import Recommendation, Report
from e2e_otel.analyzers.run import analyze_files
from e2e_otel.config import Config, parse_config
from e2e_otel.sources.models import InputProblem
from e2e_otel.sources.otlp_files import read_spans
from tests.analyzers.conftest import NOW
from tests.stack.conftest import PipelineRun, eventually

pytestmark = pytest.mark.integration

# The session database holds 20k page views and MariaDB answers a review query in well under a
# millisecond, so with the default thresholds neither the referrer scan nor the 20-query N+1
# loop is slow enough to report. Lowering both makes the planted findings appear; what is
# compared is the two inputs' analyses, not this machine's speed.
PLANTED = parse_config(
    {
        "thresholds": {"database": {"warning_ms": 1, "critical_ms": 200}},
        "analyzers": {"n_plus_one": {"min_total_ms": 1}},
    }
)
CONFIGS = {"default": Config(), "planted": PLANTED}


@dataclasses.dataclass
class Analysis:
    """One input file analyzed under every config, and the problems reading it reported."""

    path: Path
    reports: dict[str, Report]
    problems: list[InputProblem]


def analyze(path: Path) -> Analysis:
    problems: list[InputProblem] = []
    reports = {
        name: analyze_files([path], config, NOW, on_problem=problems.append)
        for name, config in CONFIGS.items()
    }
    return Analysis(path, reports, problems)


def span_keys(path: Path) -> set[tuple[str, str]]:
    return {(span.trace_id, span.span_id) for span in read_spans([path])}


@pytest.fixture(scope="module")
def sdk(pipeline_run: PipelineRun) -> Analysis:
    return analyze(pipeline_run.sdk_traces)


@pytest.fixture(scope="module")
def collector(pipeline_run: PipelineRun) -> Analysis:
    """The collector's file, analyzed once it holds every span the shop's SDK exported."""
    expected = span_keys(pipeline_run.sdk_traces)
    assert expected, "the shop exported no spans"
    path = pipeline_run.stack.traces_file
    eventually(
        lambda: span_keys(path) == expected if path.exists() else None,
        "the collector's file export to hold exactly the spans the SDK exported",
        30,
    )
    return analyze(path)


def rule(report: Report, name: str) -> list[Recommendation]:
    return [r for r in report.recommendations if r.rule == name]


def test_the_collector_file_reads_without_problems(collector: Analysis, sdk: Analysis) -> None:
    assert collector.problems == [] and sdk.problems == []
    for name in CONFIGS:
        report = collector.reports[name]
        assert report.complete and report.problems == (), name
        assert report.spans == sdk.reports[name].spans > 100
        assert report.traces == sdk.reports[name].traces > 20


def test_the_same_traces(collector: Analysis, sdk: Analysis) -> None:
    traces = {span.trace_id for span in read_spans([collector.path])}
    assert traces == {span.trace_id for span in read_spans([sdk.path])}
    assert len(traces) == collector.reports["default"].traces


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_the_same_report_as_from_the_sdk_file(
    config: str, collector: Analysis, sdk: Analysis
) -> None:
    ours, theirs = collector.reports[config], sdk.reports[config]
    assert [r.id for r in ours.recommendations] == [r.id for r in theirs.recommendations]
    # Everything else too: figures, example trace ids, sections, charts and the time window.
    assert dataclasses.replace(ours, source=theirs.source) == theirs


def test_the_planted_problems_are_found_in_the_collector_file(collector: Analysis) -> None:
    report = collector.reports["planted"]
    (scan,) = [
        r for r in rule(report, "slow_queries") if "shop_pageview" in str(r.evidence.fingerprint)
    ]
    assert scan.evidence.route == "api/reports/pageviews/"
    assert any("CREATE INDEX" in step and "shop_pageview (referrer)" in step for step in scan.steps)
    (hotspot,) = [
        r
        for r in rule(report, "error_hotspot")
        if r.evidence.route == "api/products/duplicate-sku/" and "db_integrity" in r.title
    ]
    assert "shop_product" in str(hotspot.evidence.fingerprint)
    (loop,) = [
        r for r in rule(report, "n_plus_one") if r.evidence.route == "api/products/with-reviews/"
    ]
    assert "shop_review" in str(loop.evidence.fingerprint)
    assert loop.evidence.figures["avg_repeats"] == 20
