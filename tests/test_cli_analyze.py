"""`e2e-otel analyze` end to end: files written by the real OTLP JSON exporter in, reports out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.json.file.trace_exporter import FileSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind

from e2e_otel.config import Config
from e2e_otel.setup import export_processor, start_processors

MS = 1_000_000


def _write_traces(path: Path, requests: int = 6, query_ms: int = 300) -> None:
    """Requests to one endpoint, each with one slow unindexed query, exported as OTLP JSON."""
    provider = TracerProvider()
    for processor in start_processors():
        provider.add_span_processor(processor)
    provider.add_span_processor(export_processor(FileSpanExporter(path), Config(), batch=False))
    django = provider.get_tracer("opentelemetry.instrumentation.django")
    pymysql = provider.get_tracer("opentelemetry.instrumentation.pymysql")
    t0 = 1_700_000_000_000 * MS
    for i in range(requests):
        start = t0 + i * 1000 * MS
        server = django.start_span("GET api/reports/", kind=SpanKind.SERVER, start_time=start)
        server.set_attributes(
            {
                "http.method": "GET",
                "http.route": "api/reports/",
                "http.status_code": 200,
                "e2e.workflow.type": "reporting",
                "e2e.workflow.id": f"req-{i}",
            }
        )
        ctx = trace.set_span_in_context(server)
        query = pymysql.start_span("SELECT", ctx, kind=SpanKind.CLIENT, start_time=start + MS)
        query.set_attributes(
            {"db.system": "mysql", "db.statement": "SELECT * FROM pageview WHERE referrer = %s"}
        )
        query.end(end_time=start + (1 + query_ms) * MS)
        server.end(end_time=start + (query_ms + 5) * MS)
    provider.shutdown()


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "e2e-otel"
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=120)


@pytest.fixture
def traces(tmp_path: Path) -> Path:
    path = tmp_path / "traces.jsonl"
    _write_traces(path)
    return path


def test_writes_every_format_and_names_the_slow_query(traces: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = _cli(
        "analyze",
        traces,
        "--json",
        out / "r.json",
        "--markdown",
        out / "r.md",
        "--html",
        out / "r.html",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "r.json").read_text())
    assert report["complete"] is True and report["spans"] == 12
    slow = [r for r in report["recommendations"] if r["rule"] == "slow_queries"]
    assert slow and slow[0]["priority"] == "high"
    assert slow[0]["evidence"]["route"] == "api/reports/"
    assert "referrer" in " ".join(slow[0]["steps"])
    assert "pageview" in (out / "r.md").read_text()
    assert (out / "r.html").read_text().lstrip().lower().startswith("<!doctype html>")
    assert "12 spans in 6 traces, complete" in result.stderr


def test_markdown_goes_to_stdout_by_default(traces: Path) -> None:
    result = _cli("analyze", traces, "--quiet")
    assert result.returncode == 0
    assert result.stdout.startswith("### e2e-otel analysis")
    assert result.stderr == ""


def test_fail_on_gates_ci(traces: Path, tmp_path: Path) -> None:
    assert _cli("analyze", traces, "--quiet", "--fail-on", "high").returncode == 1
    fast = tmp_path / "fast.jsonl"
    _write_traces(fast, query_ms=2)
    assert _cli("analyze", fast, "--quiet", "--fail-on", "medium").returncode == 0


def test_corrupt_lines_are_reported_and_the_report_says_incomplete(
    traces: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text(traces.read_text() + "{not json\n")
    result = _cli("analyze", broken, "--json", tmp_path / "r.json")
    assert result.returncode == 0
    assert f"{broken}:" in result.stderr and "invalid JSON" in result.stderr
    assert "INCOMPLETE" in result.stderr
    assert json.loads((tmp_path / "r.json").read_text())["complete"] is False


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot open: No such file or directory"), ("{garbage\n", "no spans found")],
)
def test_unusable_input_is_one_error_line_exit_2(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "in.jsonl"
    if content is not None:
        path.write_text(content)
    result = _cli("analyze", path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr


def test_unwritable_output_is_one_error_line(traces: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = _cli("analyze", traces, "--json", blocker / "r.json")
    assert result.returncode == 2 and "cannot write" in result.stderr


def test_implausible_times_are_problems_not_findings(tmp_path: Path) -> None:
    """A server span starting before 1970 once made a *high* finding (p95 1e+12 ms)."""
    path = tmp_path / "t.jsonl"
    _write_traces(path, query_ms=2)
    lines = path.read_text().splitlines()
    server = next(n for n, line in enumerate(lines) if '"kind":2' in line)
    lines[server] = lines[server].replace('"startTimeUnixNano":"', '"startTimeUnixNano":"-', 1)
    path.write_text("\n".join(lines) + "\n")
    result = _cli("analyze", path, "--fail-on", "low", "--json", tmp_path / "r.json")
    assert result.returncode == 0, result.stderr
    assert f"{path}:{server + 1}: span skipped: startTimeUnixNano -" in result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["complete"] is False and report["recommendations"] == []


@pytest.mark.parametrize("kind", ["fifo", "directory", "missing"])
def test_an_input_that_is_not_a_file_is_one_error_line(tmp_path: Path, kind: str) -> None:
    path = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(path)  # would block a reader until a writer comes: must not be opened
    elif kind == "directory":
        path.mkdir()
    result = _cli("analyze", path)  # the helper's timeout fails the test if it hangs
    assert result.returncode == 2
    reason = "a directory with no trace file (" if kind == "directory" else "cannot open: "
    assert result.stderr.startswith(f"e2e-otel: error: {path}: {reason}")
    assert result.stderr.count("\n") == 1


def test_a_directory_is_its_trace_files(tmp_path: Path) -> None:
    # The collector's file exporter rotates: traces.jsonl and dated backups beside it.
    folder = tmp_path / "out"
    (folder / "old").mkdir(parents=True)
    _write_traces(folder / "traces-2026-12-01T00-00-00.000.jsonl", requests=3)
    _write_traces(folder / "traces.jsonl", requests=4)
    _write_traces(folder / "old" / "traces.jsonl", requests=50)  # subdirectories: not walked
    (folder / "README.txt").write_text("not traces")
    one = _cli("analyze", folder, "--json", tmp_path / "dir.json")
    assert one.returncode == 0, one.stderr
    report = json.loads((tmp_path / "dir.json").read_text())
    assert report["source"] == (
        f"otlp-files: {folder}/traces-2026-12-01T00-00-00.000.jsonl, {folder}/traces.jsonl"
    )
    assert report["complete"] is True
    both = _cli("analyze", *sorted(folder.glob("*.jsonl")), "--json", tmp_path / "files.json")
    assert both.returncode == 0, both.stderr
    assert report["spans"] == json.loads((tmp_path / "files.json").read_text())["spans"] > 0
    summary = _cli("summary", folder)
    assert summary.returncode == 0 and str(report["spans"]) in summary.stdout
