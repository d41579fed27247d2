"""Per-analyzer settings from ``Config.analyzers``: defaults, validated, errors naming the key.

The configuration loader accepts any mapping under ``analyzers``; only the analyzers know their
keys, so they are checked here, before any input is read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from e2e_otel.config import Config, ConfigError

Settings = Mapping[str, float]


def settings(config: Config, analyzer: str, defaults: Mapping[str, float]) -> dict[str, float]:
    """``defaults`` overridden by ``config.analyzers[analyzer]``.

    Every value must be a finite, non-negative number, and an integer where the default is one.
    Raises :class:`ConfigError` naming ``analyzers.<analyzer>.<key>`` on an unknown key or a
    bad value.
    """
    raw = config.analyzers.get(analyzer, {})
    result = dict(defaults)
    for key in sorted(raw):
        where = f"analyzers.{analyzer}.{key}"
        if key not in defaults:
            known = ", ".join(sorted(defaults))
            raise ConfigError(config.source, where, f"unknown setting (known: {known})")
        value = raw[key]
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not is_number or not math.isfinite(value) or value < 0:
            raise ConfigError(config.source, where, f"expected a number >= 0, got {value!r}")
        if isinstance(defaults[key], int) and not isinstance(value, int):
            raise ConfigError(config.source, where, f"expected an integer, got {value!r}")
        result[key] = value
    return result


def check_names(config: Config, known: Mapping[str, Mapping[str, float]]) -> None:
    """Validate every analyzer's settings; an analyzer name nobody knows is an error too."""
    for name in sorted(config.analyzers):
        if name not in known:
            raise ConfigError(
                config.source,
                f"analyzers.{name}",
                f"unknown analyzer (known: {', '.join(sorted(known))})",
            )
    for name, defaults in known.items():
        settings(config, name, defaults)
