from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path

import pytest

from e2e_otel.analyzers.models import Recommendation, finding_id
from e2e_otel.analyzers.run import analyze_files
from e2e_otel.config import Config, ConfigError
from e2e_otel.sources.models import InputProblem, SpanRecord
from e2e_otel.sql.fingerprint import fingerprint_id
from tests.analyzers.conftest import (
    NOW,
    PAGEVIEWS,
    PRODUCTS,
    REVIEWS,
    Trace,
    config,
    spans_of,
    write_otlp,
)


def _shop() -> list[SpanRecord]:
    """A small shop: an N+1 endpoint, a slow report, an integrity error, plain pages."""
    traces = []
    for i in range(4):
        trace = Trace()
        server = trace.request(
            "api/products/with-reviews/", workflow="product_reviews", duration=90
        )
        trace.query(server, PRODUCTS, start=0, duration=2)
        trace.loop(server, REVIEWS, 8, start=3, duration=9)
        report = Trace()
        server = report.request("api/reports/pageviews/", workflow="reporting", duration=260 + i)
        report.query(server, PAGEVIEWS, start=1, duration=250 + i)
        broken = Trace()
        server = broken.request(
            "api/products/duplicate-sku/",
            method="POST",
            status_code=500,
            workflow="catalog_admin",
            category="db_integrity",
            error=True,
        )
        broken.query(
            server, "INSERT INTO t (sku) VALUES (%s)", start=1, duration=2, category="db_integrity"
        )
        page = Trace()
        page.request("api/products/<int:pk>/", duration=5 + i)
        traces += [trace, report, broken, page]
    return spans_of(traces)


def _by_rule(recommendations: tuple[Recommendation, ...]) -> dict[str, list[Recommendation]]:
    found: dict[str, list[Recommendation]] = {}
    for r in recommendations:
        found.setdefault(r.rule, []).append(r)
    return found


def test_report_names_the_planted_problems(tmp_path: Path) -> None:
    spans = _shop()
    report = analyze_files([_write(tmp_path, spans)], Config(), NOW)
    assert report.complete and report.problems == ()
    assert report.spans == len(spans) and report.traces == 16
    assert report.window_start == datetime(2026, 1, 1, tzinfo=timezone.utc)
    found = _by_rule(report.recommendations)
    assert found["n_plus_one"][0].evidence.route == "api/products/with-reviews/"
    slow = found["slow_queries"][0]
    assert slow.evidence.fingerprint_id == fingerprint_id(PAGEVIEWS)
    assert any("shop_pageview.referrer" in step for step in slow.steps)
    (integrity,) = [r for r in found["error_hotspot"] if "db_integrity" in r.title]
    assert integrity.evidence.route == "api/products/duplicate-sku/"
    assert [s.name for s in report.sections] == [
        "health",
        "thresholds",
        "slow_queries",
        "n_plus_one",
        "chatty",
        "parallelizable",
        "error_hotspots",
        "slow_renders",
        "fetch_waterfalls",
        "web_vitals",
        "workflow_layers",
    ]
    keys = [r.sort_key() for r in report.recommendations]
    assert keys == sorted(keys)


def _write(tmp_path: Path, spans: list[SpanRecord], name: str = "t.jsonl") -> Path:
    path = tmp_path / name
    write_otlp(path, spans)
    return path


def test_same_input_and_shuffled_input_give_identical_reports(tmp_path: Path) -> None:
    spans = _shop()
    first = analyze_files([_write(tmp_path, spans, "a.jsonl")], Config(), NOW)
    again = analyze_files([_write(tmp_path, spans, "a.jsonl")], Config(), NOW)
    assert first == again
    for seed in range(3):
        shuffled = spans[:]
        random.Random(seed).shuffle(shuffled)
        # Split over two files too: order across files must not matter either.
        half = len(shuffled) // 2
        paths = [
            _write(tmp_path, shuffled[:half], "b1.jsonl"),
            _write(tmp_path, shuffled[half:], "b2.jsonl"),
        ]
        other = analyze_files(paths, Config(), NOW)
        assert other.recommendations == first.recommendations
        assert other.sections == first.sections
        assert (other.spans, other.traces, other.window_start, other.window_end) == (
            first.spans,
            first.traces,
            first.window_start,
            first.window_end,
        )


def test_ids_are_stable_across_runs_with_other_data(tmp_path: Path) -> None:
    base = analyze_files([_write(tmp_path, _shop(), "a.jsonl")], Config(), NOW)
    extra = Trace()
    extra.request("api/cart/", duration=700)
    more = analyze_files([_write(tmp_path, _shop() + extra.spans, "b.jsonl")], Config(), NOW)
    n_plus_one = _by_rule(base.recommendations)["n_plus_one"][0]
    assert n_plus_one.id == finding_id(
        "n_plus_one", "shop-api", "GET", "api/products/with-reviews/", fingerprint_id(REVIEWS)
    )
    assert {r.id for r in base.recommendations} < {r.id for r in more.recommendations}


def test_a_corrupt_line_marks_the_report_incomplete_and_the_rest_is_analyzed(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, _shop())
    lines = path.read_text().splitlines()
    lines.insert(2, '{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": ')
    path.write_text("\n".join(lines) + "\n")
    seen: list[InputProblem] = []
    report = analyze_files([path], Config(), NOW, on_problem=seen.append)
    assert report.complete is False
    assert [p.line for p in seen] == [3]
    assert report.problems == (str(seen[0]),)
    assert report.spans == len(_shop())
    assert "n_plus_one" in _by_rule(report.recommendations)


def test_bad_analyzer_settings_fail_before_reading(tmp_path: Path) -> None:
    missing = tmp_path / "never-read.jsonl"
    with pytest.raises(ConfigError, match=r"analyzers\.n_plus_one\.min_repeat"):
        analyze_files([missing], config(n_plus_one={"min_repeat": 3}), NOW)
    with pytest.raises(ConfigError, match=r"analyzers\.chatty\.min_db_spans.*integer"):
        analyze_files([missing], config(chatty={"min_db_spans": 2.5}), NOW)
    with pytest.raises(ConfigError, match=r"analyzers\.nplus1: unknown analyzer"):
        analyze_files([missing], config(nplus1={}), NOW)
    with pytest.raises(ConfigError, match="expected a number"):
        analyze_files([missing], config(slow_queries={"top": -1}), NOW)


def test_parallel_read_gives_the_same_report(tmp_path: Path) -> None:
    path = _write(tmp_path, _shop())
    serial = analyze_files([path], Config(), NOW, workers=1)
    parallel = analyze_files([path], Config(), NOW, workers=2)
    assert serial == parallel


def test_empty_input(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    report = analyze_files([path], Config(), NOW)
    assert (report.spans, report.traces, report.window_start, report.recommendations) == (
        0,
        0,
        None,
        (),
    )
    assert report.complete
