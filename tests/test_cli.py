from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from e2e_otel import __version__, fingerprint_id
from e2e_otel.cli import fingerprint as fingerprint_command
from e2e_otel.cli import main
from e2e_otel.environment_variables import E2E_OTEL_DEBUG


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "e2e-otel"
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60)


def test_version_and_help() -> None:
    assert _cli("--version").stdout.strip() == f"e2e-otel {__version__}"
    help_text = _cli("--help").stdout
    for command in ("config", "fingerprint", "summary"):
        assert command in help_text


def test_config_error_is_one_line_and_non_zero(tmp_path: Path) -> None:
    bad = tmp_path / "c.yaml"
    bad.write_text("workflows: {rules: [{name: x}]}\n")
    result = _cli("config", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert f"{bad}: workflows.rules[0].route: missing required key" in result.stderr


def test_fingerprint_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fingerprint", "SELECT * FROM t WHERE id = 5"]) == 0
    out = capsys.readouterr().out
    assert (
        out == f"{fingerprint_id('SELECT * FROM t WHERE id = 5')}\tselect * from t where id = ?\n"
    )


def test_summary_reports_corrupt_lines_and_reads_the_rest(tmp_path: Path) -> None:
    good = (
        '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":'
        '{"stringValue":"api"}}]},"scopeSpans":[{"scope":{"name":"s"},"spans":[{"traceId":"'
        + "a" * 32
        + '","spanId":"'
        + "b" * 16
        + '","name":"GET","kind":2,"startTimeUnixNano":"1767225600000000000","endTimeUnixNano":"1767225600004000000",'
        '"attributes":[{"key":"e2e.layer","value":{"stringValue":"api"}},'
        '{"key":"e2e.workflow.type","value":{"stringValue":"login"}}]}]}]}]}'
    )
    path = tmp_path / "t.jsonl"
    path.write_text(good + "\n{not json\n" + good + "\n")
    result = _cli("summary", str(path))
    assert result.returncode == 0
    assert "2 spans in 1 traces" in result.stdout
    assert "login" in result.stdout
    assert f"{path}:2: invalid JSON" in result.stderr


def test_summary_of_missing_file_fails_readably(tmp_path: Path) -> None:
    result = _cli("summary", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2
    assert "cannot open" in result.stderr


def test_stack_subcommand_belongs_to_the_native_harness() -> None:
    result = _cli("stack", "--help")
    assert result.returncode == 0
    assert "usage: e2e-otel stack" in result.stdout and "validate" in result.stdout
    bad = _cli("stack", "bogus")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def _raise(exc: BaseException) -> Callable[..., int]:
    def command(*args: object) -> int:
        raise exc

    return command


def test_an_unexpected_error_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(E2E_OTEL_DEBUG, raising=False)
    monkeypatch.setattr(fingerprint_command, "run", _raise(RuntimeError("boom\nsecond line")))
    assert main(["fingerprint", "SELECT 1"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "e2e-otel: internal error: RuntimeError: boom second line "
        f"(set {E2E_OTEL_DEBUG}=1 for the traceback)\n"
    )


def test_the_debug_variable_adds_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(E2E_OTEL_DEBUG, "1")
    monkeypatch.setattr(fingerprint_command, "run", _raise(KeyError("k")))
    assert main(["fingerprint", "SELECT 1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert err.endswith(
        f"e2e-otel: internal error: KeyError: 'k' (set {E2E_OTEL_DEBUG}=1 for the traceback)\n"
    )


def test_interrupt_and_closed_pipe_exit_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fingerprint_command, "run", _raise(KeyboardInterrupt()))
    assert main(["fingerprint", "SELECT 1"]) == 130
    monkeypatch.setattr(fingerprint_command, "run", _raise(BrokenPipeError()))
    assert main(["fingerprint", "SELECT 1"]) == 141


def test_summary_of_a_fifo_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = _cli("summary", str(fifo))
    assert result.returncode == 2
    assert result.stderr.startswith(f"e2e-otel: error: {fifo}: cannot open: a FIFO")
    assert result.stderr.count("\n") == 1


def test_json_dash_writes_to_stdout_for_analyze(tmp_path: Path) -> None:
    from tests.analyzers.conftest import Trace, spans_of, write_otlp

    trace = Trace()
    trace.request()
    traces = tmp_path / "t.jsonl"
    write_otlp(traces, spans_of([trace]))
    exe = Path(sys.executable).parent / "e2e-otel"
    result = subprocess.run(
        [str(exe), "analyze", str(traces), "--json", "-", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["spans"] == 1


def test_discover_django_takes_django_settings_like_the_other_commands() -> None:
    from e2e_otel.cli.main import build_parser

    args = build_parser().parse_args(["discover", "django", "--django-settings", "s"])
    assert args.settings == "s"
    old = build_parser().parse_args(["discover", "django", "--settings", "s"])
    assert old.settings == "s"
