"""Traces from a tail-sampling tier: the sampler marks every kept span's resource
(``e2e.sampling.*``), and a report on such traces says its trace-based figures are of the kept
traces, in every format; a report on unmarked traces says nothing of sampling."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from e2e_otel.analyzers.builder import DatasetBuilder
from e2e_otel.analyzers.models import Report, Sampling
from e2e_otel.analyzers.run import analyze_files
from e2e_otel.config import Config
from e2e_otel.publish import load_report_dict, render_html, render_json, render_markdown
from e2e_otel.publish.json_report import report_from_dict
from e2e_otel.sources.models import SampledSpanRecord, SamplingMark, SpanRecord
from e2e_otel.sources.otlp_fast import decode_line
from e2e_otel.sources.otlp_files import plausible_until, read_spans, spans_of_line
from tests.analyzers.conftest import (
    NOW,
    PRODUCTS,
    REVIEWS,
    Trace,
    mark_sampled,
    spans_of,
    write_otlp,
)

ROUTE = "api/products/with-reviews/"


def _traces(count: int = 3) -> list[Trace]:
    traces = []
    for _ in range(count):
        trace = Trace()
        server = trace.request(ROUTE, workflow="product_reviews", duration=100)
        trace.query(server, PRODUCTS, start=0.5, duration=2)
        trace.loop(server, REVIEWS, 6, start=3, duration=10)
        traces.append(trace)
    return traces


def _write(path: Path, traces: list[Trace], percent: float | None = None) -> Path:
    write_otlp(path, spans_of(traces))
    if percent is not None:
        mark_sampled(path, percent)
    return path


def _analyze(*paths: Path) -> Report:
    return analyze_files(list(paths), Config(), NOW)


def test_a_report_on_marked_traces_says_they_are_a_sample(tmp_path: Path) -> None:
    report = _analyze(_write(tmp_path / "kept.jsonl", _traces(), percent=10))
    assert report.sampling == Sampling("tail", (10.0,), report.spans)
    loop = next(r for r in report.recommendations if r.rule == "n_plus_one")  # still found
    assert "in 3 of 3 kept requests that ran the handler" in loop.description

    markdown = render_markdown(report)
    assert "**Sampled traces:** Traces from a sampling tier" in markdown
    assert "the others at 10 %" in markdown
    assert "are of the kept traces, not of all requests" in markdown
    assert "e2e-otel analyze --prometheus URL" in markdown
    assert f"{report.traces} kept traces" in markdown  # the verdict line
    assert "- Figures (of the kept traces):" in markdown
    # Near the top: before the first finding.
    assert markdown.index("Sampled traces") < markdown.index("#### Recommendations")

    html = render_html(report)
    assert '<section class="sampling"><h2>Sampled traces</h2>' in html
    assert html.index("Sampled traces") < html.index("<h2>Recommendations</h2>")
    assert "<dt>Figures (of the kept traces)</dt>" in html

    text = render_json(report)  # validated against the schema as it is written
    document = load_report_dict(text)
    assert document["sampling"] == {"policy": "tail", "baseline_percent": [10.0], "spans": 24}
    assert report_from_dict(document).sampling == report.sampling


def test_a_report_on_unmarked_traces_says_nothing_of_sampling(tmp_path: Path) -> None:
    report = _analyze(_write(tmp_path / "all.jsonl", _traces()))
    assert report.sampling is None
    markdown = render_markdown(report)
    assert "ampled" not in markdown and "kept traces" not in markdown
    assert "- Figures: " in markdown
    assert "ampled" not in render_html(report)
    assert "sampling" not in json.loads(render_json(report))


def test_mixed_input_says_how_many_spans_were_sampled(tmp_path: Path) -> None:
    kept = _write(tmp_path / "kept.jsonl", _traces(1), percent=25)
    whole = _write(tmp_path / "all.jsonl", _traces(2))
    report = _analyze(kept, whole)
    assert report.sampling == Sampling("tail", (25.0,), 8)
    assert report.spans == 24
    assert "8 of the 24 spans from a sampling tier" in render_markdown(report)


def test_both_readers_read_the_mark_of_the_resource(tmp_path: Path) -> None:
    path = _write(tmp_path / "kept.jsonl", _traces(1), percent=12.5)
    line = path.read_text().splitlines()[0]
    latest = plausible_until()
    general = list(spans_of_line(line, str(path), 1, lambda problem: None, latest))
    fast = decode_line(line.encode(), latest)
    assert fast == general and general
    assert {span.sampling for span in general} == {SamplingMark("tail", 12.5)}
    unmarked = _write(tmp_path / "all.jsonl", _traces(1))
    assert {span.sampling for span in read_spans([unmarked])} == {None}


def test_merged_builders_count_the_marked_spans_of_both() -> None:
    # The parallel read merges one builder per worker: the marks survive the merge.
    mark = SamplingMark("tail", 10.0)
    halves = []
    for traces in (_traces(1), _traces(2)):
        builder = DatasetBuilder()
        for span in spans_of(traces):
            builder.add(SampledSpanRecord(**_fields(span), sampling=mark))
        halves.append(builder)
    halves[0].merge(halves[1])
    assert halves[0].finish().sampled == {mark: 24}


def _fields(span: SpanRecord) -> dict[str, Any]:
    return {field.name: getattr(span, field.name) for field in fields(span)}
