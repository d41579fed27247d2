"""Configuration: one YAML file, every key defaulted, validated; errors name file, key, reason.

Precedence is argument > environment variable > file > default (opentelemetry-python's rule).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from e2e_otel import environment_variables as env
from e2e_otel.config_file import read_yaml
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
    "default_config",
    "env_flag",
    "load_config",
    "parse_config",
    "valid_correlation_id",
]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
_MAX_KEY_CHARS = 200
_MAX_REASON_CHARS = 300


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load and validate the YAML file at ``path``, else ``$E2E_OTEL_CONFIG``, else defaults.

    Raises :class:`ConfigError` naming the file, the key and the reason on any problem, the
    file's limits included (see :mod:`e2e_otel.config_file`).
    """
    chosen = os.fspath(path) if path is not None else os.environ.get(env.E2E_OTEL_CONFIG)
    if not chosen:
        return default_config()
    source = str(chosen)
    with _one_line_errors():
        data = read_yaml(source)
    return _apply_env(parse_config(data, source))


def default_config() -> Config:
    """The built-in defaults with environment overrides: what runs when the file is bad."""
    return _apply_env(Config())


def parse_config(data: object, source: str = "<argument>") -> Config:
    """Validate an already-parsed mapping (e.g. from ``configure(config={...})``)."""
    with _one_line_errors():
        return parse(data, source)


@contextmanager
def _one_line_errors() -> Iterator[None]:
    # A key or value from the file may be megabytes long or span lines: the error stays one
    # short line wherever it is printed or logged.
    try:
        yield
    except ConfigError as exc:
        key, reason = _one_line(exc.key, _MAX_KEY_CHARS), _one_line(exc.reason, _MAX_REASON_CHARS)
        if (key, reason) == (exc.key, exc.reason):
            raise
        raise ConfigError(exc.source, key, reason) from None


def _one_line(text: str, limit: int) -> str:
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
