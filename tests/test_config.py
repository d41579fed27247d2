from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from e2e_otel.config import Config, ConfigError, load_config, parse_config


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "e2e-otel.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("E2E_OTEL_CONFIG", raising=False)
    config = load_config()
    assert config.thresholds.api.warning_ms == 200
    assert config.thresholds.database.warning_ms == 50
    assert config.thresholds.frontend.warning_ms == 100
    assert config.privacy.keep_raw_sql is False
    assert config.workflows.rules == ()


def test_full_file_is_parsed(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
workflows:
  rules:
    - {name: login, method: POST, route: "api/auth/*"}
    - {name: product_fetch, method: [GET, HEAD], route: "api/products/<int:pk>/"}
thresholds:
  api: {warning_ms: 250, critical_ms: 800}
backends:
  grafana: {url: "http://grafana:3000/", token_env: MY_TOKEN}
privacy: {keep_raw_sql: true}
""",
    )
    config = load_config(path)
    assert config.workflows.match("POST", "api/auth/login/") == "login"
    assert config.workflows.match("GET", "api/auth/login/") is None
    assert config.workflows.match("HEAD", "/api/products/<int:pk>/") == "product_fetch"
    assert config.thresholds.api.warning_ms == 250
    assert config.thresholds.database.warning_ms == 50
    assert config.backends.grafana.url == "http://grafana:3000"
    assert config.backends.grafana.token_env == "MY_TOKEN"
    assert config.privacy.keep_raw_sql is True
    assert config.source == str(path)


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ("workflow: {}", "workflow", "unknown key"),
        ("workflows: {rules: [{name: login}]}", "workflows.rules[0].route", "missing"),
        (
            "workflows: {rules: [{name: Login!, route: x}]}",
            "workflows.rules[0].name",
            "workflow name",
        ),
        (
            "workflows: {rules: [{name: a, route: x}, {name: b, route: y, method: GETT}]}",
            "workflows.rules[1].method",
            "HTTP method",
        ),
        ("thresholds: {api: {warning_ms: -5}}", "thresholds.api.warning_ms", "positive"),
        (
            "thresholds: {database: {warning_ms: 100, critical_ms: 10}}",
            "thresholds.database.critical_ms",
            "below",
        ),
        ("backends: {grafana: {token: abc}}", "backends.grafana.token", "token_env"),
        ("backends: {tempo: {url: 'ftp://x'}}", "backends.tempo.url", "http"),
        ("privacy: {keep_raw_sql: 'yes'}", "privacy.keep_raw_sql", "true or false"),
        ("- just\n- a list", "<root>", "mapping"),
        ("workflows: [1, 2]", "workflows", "mapping"),
    ],
)
def test_errors_name_file_key_and_reason(tmp_path: Path, text: str, key: str, reason: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.source == str(path)
    assert info.value.key == key
    assert reason in info.value.reason
    assert str(path) in str(info.value) and key in str(info.value)


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "workflows:\n  rules: [\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.key.startswith("line ")
    assert "invalid YAML" in info.value.reason


def test_missing_file_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("E2E_OTEL_CONFIG", str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="file not found"):
        load_config()


def test_env_overrides_file_and_bad_env_is_ignored(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = _write(tmp_path, "privacy: {keep_raw_sql: false}")
    monkeypatch.setenv("E2E_OTEL_KEEP_RAW_SQL", "true")
    assert load_config(path).privacy.keep_raw_sql is True
    monkeypatch.setenv("E2E_OTEL_KEEP_RAW_SQL", "maybe")
    assert load_config(path).privacy.keep_raw_sql is False


def test_the_example_shop_config_is_valid() -> None:
    path = Path(__file__).parent.parent / "examples" / "shop" / "e2e-otel.yaml"
    config = load_config(path)
    assert config.workflows.rules, "the shop config must declare workflow rules"


_yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=15), children, max_size=4)
    ),
    max_leaves=20,
)
_keys = st.sampled_from(
    ["workflows", "thresholds", "analyzers", "backends", "privacy", "rules", "api", "url", "x"]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_keys, _yaml_values, max_size=5))
def test_fuzz_config_either_loads_or_raises_config_error(data: dict[str, object]) -> None:
    try:
        config = parse_config(data, "fuzz.yaml")
    except ConfigError as exc:
        assert exc.source == "fuzz.yaml" and exc.key and exc.reason
    else:
        assert isinstance(config, Config)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_arbitrary_yaml_text(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "c.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_config(path)
    except ConfigError as exc:
        assert str(path) in str(exc)


def test_round_trip_through_yaml(tmp_path: Path) -> None:
    data = {
        "workflows": {"rules": [{"name": "checkout", "route": "api/checkout/", "method": "POST"}]}
    }
    path = _write(tmp_path, yaml.safe_dump(data))
    assert load_config(path).workflows.match("POST", "api/checkout/") == "checkout"


def test_every_e2e_otel_variable_is_documented() -> None:
    from e2e_otel import environment_variables

    docs = (Path(__file__).parent.parent / "docs" / "configuration.md").read_text()
    assert len(environment_variables.ALL) >= 6
    for name in environment_variables.ALL:
        assert f"`{name}`" in docs, name


def test_no_e2e_otel_variable_is_read_outside_the_registry() -> None:
    import re

    package = Path(__file__).parent.parent / "e2e_otel"
    from e2e_otel import environment_variables

    for path in package.rglob("*.py"):
        for name in re.findall(r"[\"'](E2E_OTEL_[A-Z_]+)[\"']", path.read_text()):
            if path.name != "environment_variables.py":
                assert name in environment_variables.ALL, f"{path}: {name} is not registered"


def test_error_ratio_thresholds(tmp_path: Path) -> None:
    config = load_config(
        _write(tmp_path, "thresholds: {errors: {warning_ratio: 0.01, critical_ratio: 0.1}}")
    )
    assert (config.thresholds.errors.warning_ratio, config.thresholds.errors.critical_ratio) == (
        0.01,
        0.1,
    )
    assert Config().thresholds.errors.warning_ratio == 0.05
    for bad, key in (
        ("{warning_ratio: 0}", "thresholds.errors.warning_ratio"),
        ("{warning_ratio: 1.5}", "thresholds.errors.warning_ratio"),
        ("{warning_ratio: 0.5, critical_ratio: 0.2}", "thresholds.errors.critical_ratio"),
    ):
        with pytest.raises(ConfigError) as info:
            load_config(_write(tmp_path, f"thresholds: {{errors: {bad}}}"))
        assert info.value.key == key


def test_backend_timeout_and_retries(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "backends: {tempo: {timeout_seconds: 2.5, retries: 0}}"))
    assert (config.backends.tempo.timeout_seconds, config.backends.tempo.retries) == (2.5, 0)
    defaults = Config().backends.prometheus
    assert (defaults.timeout_seconds, defaults.retries) == (10.0, 2)
    assert config.backends.prometheus == defaults


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ("{prometheus: {timeout_seconds: 0}}", "backends.prometheus.timeout_seconds", "seconds"),
        ("{tempo: {timeout_seconds: '5s'}}", "backends.tempo.timeout_seconds", "seconds"),
        ("{tempo: {timeout_seconds: .nan}}", "backends.tempo.timeout_seconds", "seconds"),
        ("{tempo: {timeout_seconds: 3600}}", "backends.tempo.timeout_seconds", "(0, 600]"),
        ("{prometheus: {retries: -1}}", "backends.prometheus.retries", "integer from 0 to 10"),
        ("{prometheus: {retries: 1.5}}", "backends.prometheus.retries", "integer"),
        ("{tempo: {retries: true}}", "backends.tempo.retries", "integer"),
        ("{tempo: {retries: 11}}", "backends.tempo.retries", "integer from 0 to 10"),
    ],
)
def test_bad_backend_timeout_or_retries(tmp_path: Path, text: str, key: str, reason: str) -> None:
    path = _write(tmp_path, f"backends: {text}")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert (info.value.source, info.value.key) == (str(path), key)
    assert reason in info.value.reason
