"""Field readers shared by the requests file's sections: paths, required keys, and secrets
that are only ever named by environment variable (a literal one in the file is refused)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from e2e_otel.config_parse import string_at
from e2e_otel.config_types import ConfigError

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECRET_KEYS = frozenset({"password", "token", "secret", "signing_key", "api_key", "key", "value"})


def path_at(value: object, source: str, key: str) -> str:
    """A path relative to ``--base-url``: requests never leave the server under test."""
    path = string_at(value, source, key)
    if not path.startswith("/") or path.startswith("//") or "://" in path:
        raise ConfigError(source, key, f"{path!r} is not a path starting with one '/'")
    return path


def optional_path(value: object, source: str, key: str) -> str | None:
    return None if value is None else path_at(value, source, key)


def required(data: Mapping[str, Any], name: str, source: str, prefix: str) -> object:
    if name not in data:
        raise ConfigError(source, f"{prefix}{name}", "missing required key")
    return data[name]


def no_secrets(data: Mapping[str, Any], source: str, prefix: str) -> None:
    """Refuse a key that would hold a literal secret (``password:``, ``token:`` ...)."""
    for name in data:
        if name.lower() in _SECRET_KEYS:
            raise ConfigError(
                source,
                f"{prefix}{name}",
                f"secrets are never written in the file; name an environment variable "
                f"with {name}_env",
            )


def from_env(
    data: Mapping[str, Any], name: str, source: str, prefix: str, environ: Mapping[str, str]
) -> str:
    """The value of the environment variable that ``data[name]`` names (it must be set)."""
    variable = string_at(required(data, name, source, prefix), source, f"{prefix}{name}")
    if not _ENV_NAME.match(variable):
        raise ConfigError(source, f"{prefix}{name}", f"{variable!r} is not a variable name")
    value = environ.get(variable)
    if not value:
        raise ConfigError(source, f"{prefix}{name}", f"environment variable {variable} is not set")
    return value
