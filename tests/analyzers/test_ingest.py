from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest

from e2e_otel.analyzers.builder import DatasetBuilder, build_dataset
from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.ingest import Task, TaskResult, build, plan, read_into
from e2e_otel.sources.models import InputProblem
from e2e_otel.sources.otlp_files import read_spans
from tests.analyzers.conftest import REVIEWS, Trace, spans_of, write_otlp
from tests.analyzers.test_builder import dataset_view


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


def test_duplicates_are_the_same_problems_read_whole_chunked_or_in_parallel(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.jsonl"
    write_otlp(path, spans_of(_traces(6)), per_line=3)
    lines = path.read_text().splitlines()
    # The file again after itself (a retried export), and one line twice in a row.
    path.write_text("\n".join([*lines, *lines, lines[2]]) + "\n")
    runs = []
    for workers, chunk in ((1, 1 << 30), (1, 500), (2, 500), (2, 1500)):
        problems: list[InputProblem] = []
        ds = build([path], problems.append, workers=workers, chunk_bytes=chunk).finish()
        runs.append((dataset_view(ds), problems))
    assert all(run == runs[0] for run in runs)
    view, problems = runs[0]
    assert view[0] == 6 * 4  # every span once
    n = len(lines)
    assert [p.line for p in problems] == [
        line for line in range(n + 1, 2 * n + 2) for _ in range(3)
    ]
    assert all(p.reason.startswith("duplicate span skipped: span ") for p in problems)


def test_a_worker_notes_the_line_of_each_span_it_adds_and_of_each_copy_it_refuses(
    tmp_path: Path,
) -> None:
    # Line 2 repeats one span of line 1 among new ones; line 3 holds a span twice.
    a, b, c, d = spans_of(_traces(1))
    path = tmp_path / "t.jsonl"
    write_otlp(path, [a, b, c, a, d, d], per_line=2)
    result = TaskResult(DatasetBuilder(track=True))
    read_into(Task(str(path), 0, path.stat().st_size), result, 1 << 62)
    assert list(result.span_lines) == [1, 1, 2, 3]
    assert [(p.line, p.reason.split()[4]) for p in result.duplicates] == [
        (2, a.span_id),
        (3, d.span_id),
    ]
    assert result.lines == 3 and not result.problems


def test_a_fifo_is_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert plan([fifo]) == [Task(str(fifo), 0, 0, whole=True)]
    problems: list[InputProblem] = []
    assert build([fifo], problems.append).finish().spans == 0
    assert [(p.line, p.reason.split(";")[0]) for p in problems] == [
        (0, "cannot open: a FIFO (named pipe)")
    ]


@pytest.mark.parametrize("workers", [1, 2])
def test_every_worker_applies_the_same_time_limit(tmp_path: Path, workers: int) -> None:
    path = tmp_path / "t.jsonl"
    spans = spans_of(_traces(6))
    write_otlp(path, spans, per_line=2)
    middle = sorted(span.end_ns for span in spans)[len(spans) // 2]
    problems: list[InputProblem] = []
    ds = build([path], problems.append, workers=workers, chunk_bytes=600, latest_ns=middle)
    assert ds.spans == sum(span.end_ns <= middle for span in spans)
    assert len(problems) == len(spans) - ds.spans
    assert all("more than a day after this run's clock" in p.reason for p in problems)


@pytest.mark.parametrize("workers", [1, 2])
def test_lines_only_the_general_reader_reads_give_what_it_gives(
    tmp_path: Path, workers: int
) -> None:
    """Lines the fast reader (msgspec) could read differently from json, or refuses, fall back to
    the general reader:
    the dataset and the problems are those of `read_spans`, line for line."""
    path = tmp_path / "t.jsonl"
    write_otlp(path, spans_of(_traces(8)), per_line=2)
    lines = path.read_bytes().splitlines()
    odd = [
        lines[0].replace(b'"kind": ', b'"kind": 100000000000000000000, "k": ', 1),  # beyond 64 bits
        lines[1].replace(b'"name": "', b'"name": "\\ud800', 1),  # a lone surrogate
        lines[2].replace(b'"name": "', b'"name": "\xff', 1),  # not UTF-8
        lines[3].replace(b'"kind": ', b'"kind": NaN, "k": ', 1),
        b"\xc2\xa0",  # blank to str.strip(), not to bytes.strip()
        b"[" * 3000 + b"]" * 3000,
    ]
    assert all(changed != line for changed, line in zip(odd, lines[:4], strict=False))
    path.write_bytes(b"\n".join([*odd, *lines[4:]]) + b"\n")
    general: list[InputProblem] = []
    expected = build_dataset(read_spans([path], general.append))
    problems: list[InputProblem] = []
    ds = build([path], problems.append, workers=workers, chunk_bytes=900).finish()
    assert (dataset_view(ds), problems) == (dataset_view(expected), general)
    assert general and ds.spans > len(lines)
