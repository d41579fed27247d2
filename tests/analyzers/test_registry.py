"""The rule registry is the one list: the file analyzers, the backend path's trace-only and
population rules and the settings validation all come from it."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from e2e_otel.analyzers import backend_merge, backends, registry, run
from e2e_otel.analyzers.registry import RULES, NPlusOneSettings, needing, parse_settings
from e2e_otel.config import Config, ConfigError


def test_the_file_analyzers_are_the_registry_in_order() -> None:
    assert [name for name, _ in run.FILE_ANALYZERS] == [rule.name for rule in RULES]


def test_the_backend_lists_derive_from_what_each_rule_needs() -> None:
    assert set(backends.TRACE_ONLY) == {r.name for r in RULES if r.needs == "traces"}
    assert set(backends.TRACE_ONLY) == {
        "n_plus_one",
        "chatty",
        "parallelizable",
        "slow_renders",
        "fetch_waterfalls",
        "web_vitals",
        "workflow_layers",
    }
    assert needing("population") == backend_merge.POPULATION
    assert {r.name for r in RULES if r.backend} == set(backend_merge.POPULATION)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_rule_names_functions_that_exist(rule: registry.Rule[object]) -> None:
    module = importlib.import_module(rule.file.partition(":")[0])
    assert rule.name == module.NAME
    assert rule.file_function() is module.analyze
    assert (rule.backend_function() is None) == (rule.backend is None)
    assert dataclasses.is_dataclass(rule.settings) and rule.settings() == rule.read(Config())


def test_settings_are_typed_and_checked() -> None:
    rule = registry.N_PLUS_ONE
    cfg = parse_settings(rule, {"min_repeats": 3, "min_total_ms": 7}, "f.yaml")
    assert cfg == NPlusOneSettings(min_repeats=3, min_total_ms=7.0)
    assert isinstance(cfg.min_total_ms, float)
    cases = {
        "min_repeat": "unknown setting (known: examples, min_repeats, min_total_ms)",
        "min_repeats": "expected an integer, got 2.5",
    }
    for key, reason in cases.items():
        value = 2.5 if key == "min_repeats" else 1
        with pytest.raises(ConfigError) as info:
            parse_settings(rule, {key: value}, "f.yaml")
        assert (info.value.key, info.value.reason) == (f"analyzers.n_plus_one.{key}", reason)
    for bad in (-1, float("nan"), float("inf"), True, "5", 10**400):
        with pytest.raises(ConfigError, match="expected a number >= 0"):
            parse_settings(rule, {"min_total_ms": bad}, "f.yaml")


def test_a_config_built_directly_is_checked_before_the_analysis() -> None:
    with pytest.raises(ConfigError, match=r"analyzers\.n_plus_onee: unknown analyzer \(known: "):
        registry.validate(Config(analyzers={"n_plus_onee": {}}))


def test_the_registry_imports_only_the_standard_library_and_config_types() -> None:
    tree = ast.parse(Path(registry.__file__).read_text(encoding="utf-8"))
    runtime = [  # top-level imports: those under `if TYPE_CHECKING:` do not run
        node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    ours = {
        n.module for n in runtime if isinstance(n, ast.ImportFrom) and "e2e_otel" in str(n.module)
    }
    assert ours == {"e2e_otel.config_types"}


def test_the_registry_imports_without_the_analysis_side() -> None:
    code = (
        "import sys; import e2e_otel.analyzers.registry; "
        "heavy = [m for m in ('numpy', 'scipy', 'httpx', 'sqlglot') if m in sys.modules]; "
        "loaded = [m for m in sys.modules if m.startswith('e2e_otel.analyzers.')]; "
        "print(heavy, loaded)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] ['e2e_otel.analyzers.registry']"
