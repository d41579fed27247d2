"""A hostile or broken configuration file is one short ConfigError naming file, place, reason."""

from __future__ import annotations

import threading
import tracemalloc
from pathlib import Path

import pytest

from e2e_otel.cli import main
from e2e_otel.config import Config, ConfigError, default_config, load_config
from e2e_otel.config_file import MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH
from tests.hostile_configs import KINDS, hostile_file

HOSTILE = {
    "fifo": ("<file>", "not a regular file (a FIFO)"),
    "directory": ("<file>", "not a regular file (a directory)"),
    "oversize": ("<file>", "larger than 1 MiB (52428800 bytes)"),
    "binary": ("byte 128", "not UTF-8 text"),
    "alias_bomb": ("line 4, column 12", "YAML aliases (*name) are not allowed"),
    "deep": ("line 1, column 81", f"nested deeper than {MAX_CONFIG_DEPTH} levels"),
}
assert set(HOSTILE) == set(KINDS)


def _error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.source == str(path)
    assert "\n" not in str(info.value) and len(str(info.value)) < len(str(path)) + 600
    return info.value


def _refused_within(path: Path, seconds: float) -> ConfigError:
    # In a daemon thread: a regression (a FIFO open waiting for a writer) fails instead of
    # hanging the test run.
    outcome: list[BaseException | Config] = []

    def run() -> None:
        try:
            outcome.append(load_config(path))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert outcome, f"load_config({path}) still running after {seconds} s"
    assert isinstance(outcome[0], ConfigError), repr(outcome[0])
    return outcome[0]


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_file_is_one_config_error_fast_and_small(tmp_path: Path, kind: str) -> None:
    path = hostile_file(kind, tmp_path)
    tracemalloc.start()
    try:
        error = _refused_within(path, 30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.source == str(path) and "\n" not in str(error)
    assert (error.key, error.reason) == HOSTILE[kind]
    assert peak < 8 * MAX_CONFIG_BYTES, f"{kind}: peak {peak} bytes while refusing the file"


def test_anchors_without_aliases_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("privacy: &p {keep_raw_sql: true}\n")
    assert load_config(path).privacy.keep_raw_sql is True


def test_merge_keys_are_aliases_too(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("analyzers:\n  a: &base {x: 1}\n  b: {<<: *base, y: 2}\n")
    assert _error(path).reason == "YAML aliases (*name) are not allowed"


def test_nesting_at_the_limit_loads_one_more_level_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    inner = MAX_CONFIG_DEPTH - 3  # the root, analyzers and analyzers.x mappings are 3 levels
    path.write_text("analyzers: {x: {y: " + "[" * inner + "]" * inner + "}}\n")
    # At the limit the reader passes the document on: what refuses it is the next check (no
    # analyzer is called x), not the nesting.
    assert _error(path).reason.startswith("unknown analyzer")
    path.write_text("analyzers: {x: {y: " + "[" * (inner + 1) + "]" * (inner + 1) + "}}\n")
    assert _error(path).reason == f"nested deeper than {MAX_CONFIG_DEPTH} levels"


def test_a_file_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("#" * (MAX_CONFIG_BYTES - 1) + "\n")
    assert load_config(path) == Config(source=str(path))
    path.write_text("#" * MAX_CONFIG_BYTES + "\n")
    assert _error(path).reason == f"larger than 1 MiB ({MAX_CONFIG_BYTES + 1} bytes)"


def test_a_character_device_is_refused_without_reading_it() -> None:
    error = _error(Path("/dev/zero"))
    assert (error.key, error.reason) == ("<file>", "not a regular file (a character device)")


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        # Python refuses int() of more than 4300 digits; sexagesimal ints cost quadratic time.
        ("retries: " + "1" * 5000, "line 1, column 10", "integer literal longer than 100"),
        ("x: 1" + ":59" * 50_000, "line 1, column 4", "integer literal longer than 100"),
        ("privacy: {keep_raw_sql: 2001-13-45}", "line 1, column 25", "invalid value: month"),
        ("a: 1\x01", "character 5", "unacceptable character #x0001"),
        ("a: !!python/object/apply:os.system [id]", "line 1, column 4", "constructor for the tag"),
        (
            "a: 1\n---\nb: 2\n",
            "line 2, column 1",
            "invalid YAML: expected a single document in the stream, but found another document",
        ),
    ],
)
def test_values_yaml_cannot_build_are_config_errors(
    tmp_path: Path, text: str, key: str, reason: str
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    error = _error(path)
    assert error.key == key
    assert reason in error.reason


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("thresholds: {api: {warning_ms: .inf}}", "thresholds.api.warning_ms"),
        ("thresholds: {api: {warning_ms: .nan}}", "thresholds.api.warning_ms"),
        ("thresholds: {database: {critical_ms: " + "9" * 99 + "}}", "thresholds.database."),
        ("backends: {grafana: {token_env: true}}", "backends.grafana.token_env"),
        ("backends: {grafana: {token_env: [A]}}", "backends.grafana.token_env"),
    ],
)
def test_non_finite_or_wrongly_typed_values_are_refused(
    tmp_path: Path, text: str, key: str
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    assert _error(path).key.startswith(key)


def test_huge_or_multi_line_keys_and_values_give_one_short_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f'privacy: {{keep_raw_sql: "{"a" * 200_000}"}}\n')
    assert _error(path).reason.endswith("aaa…")
    path.write_text('"bad\\nkey": 1\n')
    assert _error(path).key == "bad\\nkey"
    path.write_text(f"{'k' * 1000}: 1\n")
    assert len(_error(path).key) == 200


def test_default_config_keeps_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    # What the distro runs on when the file is bad.
    monkeypatch.setenv("E2E_OTEL_KEEP_RAW_SQL", "true")
    assert default_config().privacy.keep_raw_sql is True


@pytest.mark.parametrize("kind", KINDS)
def test_cli_config_prints_one_line_and_exits_2(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = hostile_file(kind, tmp_path)
    assert main(["config", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"e2e-otel: error: {path}: ") and captured.err.count("\n") == 1
