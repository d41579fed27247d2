"""Process-wide state shared by the integrations: the active configuration."""

from __future__ import annotations

from e2e_otel.config import Config

_config = Config()


def get_config() -> Config:
    """The configuration installed by the last ``configure()`` (defaults before that)."""
    return _config


def set_config(config: Config) -> None:
    global _config
    _config = config
