from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.ingest import build, plan
from e2e_otel.sources.models import InputProblem
from tests.analyzers.conftest import REVIEWS, Trace, spans_of, write_otlp


def _traces(n: int) -> list[Trace]:
    traces = [Trace() for _ in range(n)]
    for trace in traces:
        server = trace.request("api/products/with-reviews/")
        trace.loop(server, REVIEWS, 3, start=1, duration=1)
    return traces


def _summary(ds: Dataset) -> tuple[object, ...]:
    return (
        ds.spans,
        sorted(ds.trace_ids),
        sorted(e.route for e in ds.entries),
        sorted(ds.db_entry(p) != -1 for p in range(ds.db_count)),
        sorted(len(positions) for _, positions in ds.groups()),
    )


def test_plan_cuts_files_at_line_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    write_otlp(path, spans_of(_traces(6)), per_line=2)
    data = path.read_bytes()
    tasks = plan([path], chunk_bytes=700)
    assert len(tasks) > 2
    assert tasks[0].start == 0 and tasks[-1].end == len(data)
    for before, after in itertools.pairwise(tasks):
        assert before.end == after.start and data[before.end - 1 : before.end] == b"\n"


def test_chunked_and_parallel_reads_equal_one_sequential_read(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    write_otlp(path, spans_of(_traces(8)), per_line=3)
    problems: list[InputProblem] = []
    whole = build([path], problems.append, workers=1, chunk_bytes=1 << 30).finish()
    chunked = build([path], problems.append, workers=1, chunk_bytes=500).finish()
    parallel = build([path], problems.append, workers=2, chunk_bytes=500).finish()
    assert not problems
    assert _summary(whole) == _summary(chunked) == _summary(parallel)
    assert whole.spans == 8 * 4


@pytest.mark.parametrize("workers", [1, 2])
def test_problems_keep_their_file_line_numbers_across_chunks(tmp_path: Path, workers: int) -> None:
    path = tmp_path / "t.jsonl"
    write_otlp(path, spans_of(_traces(6)), per_line=4)
    lines = path.read_text().splitlines()
    lines.insert(4, '{"resourceSpans": [')  # line 5 is cut off
    path.write_text("\n".join(lines) + "\n")
    problems: list[InputProblem] = []
    ds = build([path], problems.append, workers=workers, chunk_bytes=600).finish()
    assert [(p.line, p.reason.split(":")[0]) for p in problems] == [(5, "invalid JSON")]
    assert ds.spans == 6 * 4


def test_pretty_printed_and_missing_files(tmp_path: Path) -> None:
    pretty = tmp_path / "one.json"
    write_otlp(pretty, spans_of(_traces(1)), per_line=100)
    pretty.write_text(json.dumps(json.loads(pretty.read_text()), indent=2))
    problems: list[InputProblem] = []
    ds = build([pretty, tmp_path / "missing.jsonl"], problems.append).finish()
    assert ds.spans == 4
    assert [p.path for p in problems] == [str(tmp_path / "missing.jsonl")]


def test_progress_reaches_the_total(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    write_otlp(path, spans_of(_traces(5)), per_line=2)
    calls: list[tuple[int, int]] = []
    build(
        [path],
        lambda p: None,
        progress=lambda done, total: calls.append((done, total)),
        chunk_bytes=800,
    )
    size = path.stat().st_size
    assert len(calls) > 1 and calls[-1] == (size, size)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
