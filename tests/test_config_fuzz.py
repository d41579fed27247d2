"""Fuzzing the configuration loader: any file gives a Config or one ConfigError naming the file.

2,000 derandomized cases per run: wrong types at every key of the schema, YAML assembled from
its own syntax, arbitrary text and arbitrary bytes.
"""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from e2e_otel.config import Config, ConfigError, load_config, parse_config

_FUZZ = settings(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

# Anything a YAML document can hold, with the awkward cases weighted in: NaN/inf, ints of
# every size, dates, control characters, empty containers.
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**120), max_value=10**120)
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(["", " ", "*", "GET", "http://x", "ftp://x", "a\nb", "login", "TOKEN"])
    | st.dates(min_value=datetime.date(1, 1, 1))
)
_anything = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_scalars, inner, max_size=3),
    max_leaves=8,
)

_valid_ms = st.floats(min_value=0.001, max_value=10_000) | st.integers(1, 10_000)
_valid_ratio = st.floats(min_value=0.001, max_value=1.0)
_workflow = st.from_regex(r"[a-z][a-z0-9_.-]{0,10}", fullmatch=True)
_backend = {
    "url": st.sampled_from(["http://h:1", "https://h/", "h:1"]),
    "token_env": st.sampled_from(["TOKEN", "1X", None]),
    "timeout_seconds": st.floats(min_value=0.1, max_value=600),
    "retries": st.integers(0, 10),
}
_threshold = {"warning_ms": _valid_ms, "critical_ms": _valid_ms}

# The schema of e2e_otel/config_parse.py: dicts are mappings, one-element lists are lists,
# strategies are leaves. Every node is replaced by a wrong value half of the time.
SCHEMA: dict[str, object] = {
    "workflows": {
        "rules": [
            {"name": _workflow, "route": st.text(min_size=1, max_size=10), "method": _anything}
        ],
        "names": [_workflow],
        "allow_unlisted": st.booleans(),
    },
    "thresholds": {
        "api": _threshold,
        "database": _threshold,
        "frontend": _threshold,
        "errors": {"warning_ratio": _valid_ratio, "critical_ratio": _valid_ratio},
    },
    "analyzers": {"n_plus_one": {"min_repeats": st.integers(1, 50)}, "x": _anything},
    "backends": {
        "tempo": _backend,
        "prometheus": _backend,
        "grafana": _backend,
        "max_response_bytes": st.integers(1024, 2**32),
    },
    "privacy": {"keep_raw_sql": st.booleans(), "keep_query_values": st.booleans()},
}


def _shaped(schema: object) -> st.SearchStrategy[object]:
    valid: st.SearchStrategy[object]
    if isinstance(schema, dict):
        fields = {key: _shaped(value) for key, value in schema.items()}
        valid = st.fixed_dictionaries({}, optional=fields)
    elif isinstance(schema, list):
        valid = st.lists(_shaped(schema[0]), max_size=3)
    else:
        assert isinstance(schema, st.SearchStrategy)
        valid = schema
    return valid | _anything


_documents = st.fixed_dictionaries({}, optional={k: _shaped(v) for k, v in SCHEMA.items()})

_YAML_PIECES = (
    *"{}[],:-?|>'\"#&*!%@`\t\n ",
    "\n  ",
    "\n- ",
    ": ",
    "&a ",
    "*a",
    "<<: ",
    "!!int ",
    "!!float ",
    "!!binary ",
    "!!timestamp ",
    "!!set ",
    "!!omap ",
    "!!python/object:os.system ",
    "!local ",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n",
    "0x1F",
    "0o17",
    "0b101",
    "1:20:30",
    "190:20:30.15",
    "1e400",
    ".nan",
    ".inf",
    "2001-13-45",
    "2001-12-14t21:59:43.10-05:00",
    "~",
    "null",
    "yes",
    "\\x00",
    "\x00",
    "\x85",
    "\ufeff",
    "\U0001f600",
    *SCHEMA,
    "rules",
    "name",
    "route",
    "method",
    "api",
    "warning_ms",
    "tempo",
    "url",
    "token_env",
    "retries",
    "keep_raw_sql",
)
_yaml_like = st.lists(st.sampled_from(_YAML_PIECES), max_size=40).map("".join)


@pytest.fixture(scope="module")
def fuzz_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="config-fuzz-") as name:
        yield Path(name)


def _assert_config_or_one_error(path: Path) -> None:
    try:
        config = load_config(path)
    except ConfigError as exc:
        message = str(exc)
        assert exc.source == str(path) and message.startswith(f"{path}: ")
        assert exc.key and exc.reason
        assert "\n" not in message and len(message) < len(str(path)) + 600, message
    else:
        assert isinstance(config, Config) and config.source == str(path)


@settings(_FUZZ, max_examples=800)
@given(_documents)
def test_wrong_types_at_every_key(fuzz_dir: Path, document: dict[str, object]) -> None:
    try:
        text = yaml.safe_dump(document, allow_unicode=True)
    except yaml.YAMLError:
        return  # not representable as YAML (hypothesis built a mapping key YAML cannot hold)
    path = fuzz_dir / "doc.yaml"
    path.write_text(text, encoding="utf-8")
    _assert_config_or_one_error(path)
    # The same structure given to configure(config={...}): the same rule, no file involved.
    try:
        parse_config(document, "<mapping>")
    except ConfigError as exc:
        assert exc.source == "<mapping>" and "\n" not in str(exc)


@settings(_FUZZ, max_examples=700)
@given(_yaml_like)
def test_text_assembled_from_yaml_syntax(fuzz_dir: Path, text: str) -> None:
    path = fuzz_dir / "syntax.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _assert_config_or_one_error(path)


@settings(_FUZZ, max_examples=300)
@given(st.text(max_size=300))
def test_arbitrary_text(fuzz_dir: Path, text: str) -> None:
    path = fuzz_dir / "text.yaml"
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    _assert_config_or_one_error(path)


@settings(_FUZZ, max_examples=200)
@given(st.binary(max_size=300))
def test_arbitrary_bytes(fuzz_dir: Path, data: bytes) -> None:
    path = fuzz_dir / "bytes.yaml"
    path.write_bytes(data)
    _assert_config_or_one_error(path)
