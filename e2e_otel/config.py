"""Configuration: one YAML file, every key defaulted, validated; errors name file, key, reason.

Precedence is argument > environment variable > file > default (opentelemetry-python's rule).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import yaml

from e2e_otel import environment_variables as env
from e2e_otel.config_parse import parse
from e2e_otel.config_types import (
    Backend,
    Backends,
    Config,
    ConfigError,
    ErrorThreshold,
    Privacy,
    Threshold,
    Thresholds,
    WorkflowConfig,
    WorkflowRule,
    valid_correlation_id,
)

__all__ = [
    "Backend",
    "Backends",
    "Config",
    "ConfigError",
    "ErrorThreshold",
    "Privacy",
    "Threshold",
    "Thresholds",
    "WorkflowConfig",
    "WorkflowRule",
    "env_flag",
    "load_config",
    "parse_config",
    "valid_correlation_id",
]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load and validate the YAML file at ``path``, else ``$E2E_OTEL_CONFIG``, else defaults.

    Raises :class:`ConfigError` naming the file, the key and the reason on any problem.
    """
    chosen = os.fspath(path) if path is not None else os.environ.get(env.E2E_OTEL_CONFIG)
    if not chosen:
        return _apply_env(Config())
    source = str(chosen)
    try:
        text = Path(chosen).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, "<file>", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, "<file>", f"cannot read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "<yaml>"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(source, where, f"invalid YAML: {problem}") from None
    return _apply_env(parse_config(data, source))


def parse_config(data: object, source: str = "<argument>") -> Config:
    """Validate an already-parsed mapping (e.g. from ``configure(config={...})``)."""
    return parse(data, source)


def env_flag(name: str, default: bool) -> bool:
    """A boolean environment variable; a bad value is ignored (default used), never raised."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    logging.getLogger(__name__).warning(
        "%s=%r is not a boolean (true/false); using %s", name, raw, default
    )
    return default


def _apply_env(config: Config) -> Config:
    keep = env_flag(env.E2E_OTEL_KEEP_RAW_SQL, config.privacy.keep_raw_sql)
    if keep == config.privacy.keep_raw_sql:
        return config
    return Config(
        workflows=config.workflows,
        thresholds=config.thresholds,
        analyzers=config.analyzers,
        backends=config.backends,
        privacy=Privacy(keep_raw_sql=keep, keep_query_values=config.privacy.keep_query_values),
        source=config.source,
    )
