"""Configuration: one YAML file, every key defaulted, validated; errors name file, key, reason.

Precedence is argument > environment variable > file > default (opentelemetry-python's rule).
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from e2e_otel import environment_variables as env

_HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*"})
_WORKFLOW_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
_SECRET_KEYS = frozenset({"token", "password", "api_key", "apikey", "secret", "auth"})
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


class ConfigError(ValueError):
    """Invalid configuration. ``source`` is the file (or ``<env>``/``<argument>``), ``key`` the
    dotted path of the bad key and ``reason`` what is wrong with it."""

    def __init__(self, source: str, key: str, reason: str) -> None:
        self.source = source
        self.key = key
        self.reason = reason
        super().__init__(f"{source}: {key}: {reason}")


@dataclass(frozen=True)
class WorkflowRule:
    """Requests whose method and Django route pattern match get workflow ``name``."""

    name: str
    route: str
    methods: frozenset[str] = frozenset({"*"})

    def matches(self, method: str, route: str) -> bool:
        if "*" not in self.methods and method.upper() not in self.methods:
            return False
        return fnmatch.fnmatchcase(route.lstrip("/"), self.route.lstrip("/"))


@dataclass(frozen=True)
class WorkflowConfig:
    rules: tuple[WorkflowRule, ...] = ()
    names: frozenset[str] = frozenset()
    allow_unlisted: bool = True

    def match(self, method: str, route: str) -> str | None:
        for rule in self.rules:
            if rule.matches(method, route):
                return rule.name
        return None

    def accepts(self, name: str) -> bool:
        """Whether a workflow name sent by a client (header/baggage) is accepted."""
        if not _WORKFLOW_NAME.match(name):
            return False
        return self.allow_unlisted or name in self.names or any(r.name == name for r in self.rules)


@dataclass(frozen=True)
class Threshold:
    warning_ms: float
    critical_ms: float


@dataclass(frozen=True)
class Thresholds:
    api: Threshold = Threshold(200.0, 500.0)
    database: Threshold = Threshold(50.0, 200.0)
    frontend: Threshold = Threshold(100.0, 300.0)


@dataclass(frozen=True)
class Backend:
    url: str
    token_env: str | None = None


@dataclass(frozen=True)
class Backends:
    tempo: Backend = Backend("http://localhost:3200")
    prometheus: Backend = Backend("http://localhost:9090")
    grafana: Backend = Backend("http://localhost:3000", token_env="GRAFANA_TOKEN")


@dataclass(frozen=True)
class Privacy:
    keep_raw_sql: bool = False


@dataclass(frozen=True)
class Config:
    """The validated configuration. ``Config()`` is the all-defaults configuration."""

    workflows: WorkflowConfig = WorkflowConfig()
    thresholds: Thresholds = Thresholds()
    analyzers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    backends: Backends = Backends()
    privacy: Privacy = Privacy()
    source: str = "<defaults>"


def valid_correlation_id(value: object) -> str | None:
    """``value`` if it is a safe correlation id (≤ 128 chars of [A-Za-z0-9._:-]), else None.

    Client-sent ids end up in headers, logs and span attributes, so anything else is replaced.
    """
    if isinstance(value, str) and _CORRELATION_ID.match(value):
        return value
    return None


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
    if data is None:
        data = {}
    root = _mapping(data, source, "<root>")
    _known(root, source, "", {"workflows", "thresholds", "analyzers", "backends", "privacy"})
    return Config(
        workflows=_workflows(root.get("workflows"), source),
        thresholds=_thresholds(root.get("thresholds"), source),
        analyzers=_analyzers(root.get("analyzers"), source),
        backends=_backends(root.get("backends"), source),
        privacy=_privacy(root.get("privacy"), source),
        source=source,
    )


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
    import logging

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
        privacy=Privacy(keep_raw_sql=keep),
        source=config.source,
    )


def _mapping(value: object, source: str, key: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(source, key, f"expected a mapping, got {type(value).__name__}")
    for k in value:
        if not isinstance(k, str):
            raise ConfigError(source, key, f"keys must be strings, got {k!r}")
    return value


def _known(data: Mapping[str, Any], source: str, prefix: str, allowed: set[str]) -> None:
    for k in data:
        if k not in allowed:
            choices = ", ".join(sorted(allowed))
            raise ConfigError(source, f"{prefix}{k}", f"unknown key (expected one of: {choices})")


def _bool(value: object, source: str, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(source, key, f"expected true or false, got {value!r}")
    return value


def _number(value: object, source: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(source, key, f"expected a positive number of milliseconds, got {value!r}")
    return float(value)


def _str(value: object, source: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(source, key, f"expected a non-empty string, got {value!r}")
    return value.strip()


def _workflow_name(value: object, source: str, key: str) -> str:
    name = _str(value, source, key)
    if not _WORKFLOW_NAME.match(name):
        raise ConfigError(
            source, key, f"{name!r} is not a workflow name (lower case, [a-z0-9_.-], ≤ 64 chars)"
        )
    return name


def _workflows(value: object, source: str) -> WorkflowConfig:
    data = _mapping(value, source, "workflows")
    _known(data, source, "workflows.", {"rules", "names", "allow_unlisted"})
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        raise ConfigError(source, "workflows.rules", "expected a list of rules")
    rules = []
    for i, raw in enumerate(raw_rules):
        key = f"workflows.rules[{i}]"
        rule = _mapping(raw, source, key)
        _known(rule, source, f"{key}.", {"name", "route", "method"})
        for required in ("name", "route"):
            if required not in rule:
                raise ConfigError(source, f"{key}.{required}", "missing required key")
        rules.append(
            WorkflowRule(
                name=_workflow_name(rule["name"], source, f"{key}.name"),
                route=_str(rule["route"], source, f"{key}.route"),
                methods=_methods(rule.get("method", "*"), source, f"{key}.method"),
            )
        )
    raw_names = data.get("names") or []
    if not isinstance(raw_names, list):
        raise ConfigError(source, "workflows.names", "expected a list of workflow names")
    names = frozenset(
        _workflow_name(n, source, f"workflows.names[{i}]") for i, n in enumerate(raw_names)
    )
    allow = _bool(data.get("allow_unlisted", True), source, "workflows.allow_unlisted")
    return WorkflowConfig(rules=tuple(rules), names=names, allow_unlisted=allow)


def _methods(value: object, source: str, key: str) -> frozenset[str]:
    items = value if isinstance(value, list) else [value]
    methods = set()
    for item in items:
        if not isinstance(item, str) or item.upper() not in _HTTP_METHODS:
            raise ConfigError(source, key, f"{item!r} is not an HTTP method or '*'")
        methods.add(item.upper())
    return frozenset(methods)


def _thresholds(value: object, source: str) -> Thresholds:
    data = _mapping(value, source, "thresholds")
    _known(data, source, "thresholds.", {"api", "database", "frontend"})
    defaults = Thresholds()
    result = {}
    for layer in ("api", "database", "frontend"):
        default: Threshold = getattr(defaults, layer)
        raw = _mapping(data.get(layer), source, f"thresholds.{layer}")
        _known(raw, source, f"thresholds.{layer}.", {"warning_ms", "critical_ms"})
        warning = _number(
            raw.get("warning_ms", default.warning_ms), source, f"thresholds.{layer}.warning_ms"
        )
        critical = _number(
            raw.get("critical_ms", max(default.critical_ms, warning)),
            source,
            f"thresholds.{layer}.critical_ms",
        )
        if critical < warning:
            raise ConfigError(
                source,
                f"thresholds.{layer}.critical_ms",
                f"{critical:g} is below warning_ms {warning:g}",
            )
        result[layer] = Threshold(warning, critical)
    return Thresholds(**result)


def _analyzers(value: object, source: str) -> Mapping[str, Mapping[str, Any]]:
    data = _mapping(value, source, "analyzers")
    return {name: dict(_mapping(v, source, f"analyzers.{name}")) for name, v in data.items()}


def _backends(value: object, source: str) -> Backends:
    data = _mapping(value, source, "backends")
    _known(data, source, "backends.", {"tempo", "prometheus", "grafana"})
    defaults = Backends()
    result = {}
    for name in ("tempo", "prometheus", "grafana"):
        default: Backend = getattr(defaults, name)
        raw = _mapping(data.get(name), source, f"backends.{name}")
        for k in raw:
            if k.lower() in _SECRET_KEYS:
                raise ConfigError(
                    source,
                    f"backends.{name}.{k}",
                    "secrets are never written in the file; name an environment variable "
                    "with token_env instead",
                )
        _known(raw, source, f"backends.{name}.", {"url", "token_env"})
        url = _str(raw.get("url", default.url), source, f"backends.{name}.url")
        if not re.match(r"^https?://[^/\s]+", url):
            raise ConfigError(source, f"backends.{name}.url", f"{url!r} is not an http(s) URL")
        token_env = raw.get("token_env", default.token_env)
        if token_env is not None and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", str(token_env)):
            raise ConfigError(
                source, f"backends.{name}.token_env", f"{token_env!r} is not a variable name"
            )
        result[name] = Backend(url=url.rstrip("/"), token_env=token_env)
    return Backends(**result)


def _privacy(value: object, source: str) -> Privacy:
    data = _mapping(value, source, "privacy")
    _known(data, source, "privacy.", {"keep_raw_sql"})
    return Privacy(
        keep_raw_sql=_bool(data.get("keep_raw_sql", False), source, "privacy.keep_raw_sql")
    )
