"""``analyzers.*`` is validated when the configuration loads, against the rule registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e_otel.analyzers.registry import RULES
from e2e_otel.config import ConfigError, load_config, parse_config


def _load_error(tmp_path: Path, text: str) -> ConfigError:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value


def test_a_misspelled_analyzer_is_refused_at_load_time(tmp_path: Path) -> None:
    error = _load_error(tmp_path, "analyzers:\n  n_plus_onee: {min_repeats: 3}\n")
    known = ", ".join(sorted(rule.name for rule in RULES))
    assert str(error) == (
        f"{tmp_path / 'c.yaml'}: analyzers.n_plus_onee: unknown analyzer (known: {known})"
    )


def test_a_bad_setting_is_refused_with_the_registry_message(tmp_path: Path) -> None:
    error = _load_error(tmp_path, "analyzers:\n  chatty: {min_db_span: 3}\n")
    assert (error.key, error.reason) == (
        "analyzers.chatty.min_db_span",
        "unknown setting (known: examples, min_db_spans, top)",
    )
    error = _load_error(tmp_path, "analyzers:\n  chatty: {min_db_spans: 2.5}\n")
    assert (error.key, error.reason) == (
        "analyzers.chatty.min_db_spans",
        "expected an integer, got 2.5",
    )
    error = _load_error(tmp_path, "analyzers:\n  n_plus_one: {min_total_ms: .nan}\n")
    assert error.reason == "expected a number >= 0, got nan"


def test_good_settings_load_as_given() -> None:
    config = parse_config({"analyzers": {"n_plus_one": {"min_repeats": 3}, "health": None}})
    assert config.analyzers == {"n_plus_one": {"min_repeats": 3}, "health": {}}
