"""Validation of the parsed YAML into :mod:`e2e_otel.config_types` (errors name the key)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from e2e_otel.analyzers.registry import parse_settings, rule_named
from e2e_otel.config_types import (
    WORKFLOW_NAME,
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
)

_HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*"})
_SECRET_KEYS = frozenset({"token", "password", "api_key", "apikey", "secret", "auth"})


def parse(data: object, source: str) -> Config:
    """Validate a parsed YAML document; raises ConfigError naming ``source`` and the key."""
    if data is None:
        data = {}
    root = mapping_at(data, source, "<root>")
    check_known_keys(
        root, source, "", {"workflows", "thresholds", "analyzers", "backends", "privacy"}
    )
    return Config(
        workflows=_workflows(root.get("workflows"), source),
        thresholds=_thresholds(root.get("thresholds"), source),
        analyzers=_analyzers(root.get("analyzers"), source),
        backends=_backends(root.get("backends"), source),
        privacy=_privacy(root.get("privacy"), source),
        source=source,
    )


def mapping_at(value: object, source: str, key: str) -> Mapping[str, Any]:
    """``value`` at ``key`` as a mapping with string keys (None: empty); else a ConfigError."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(source, key, f"expected a mapping, got {type(value).__name__}")
    for k in value:
        if not isinstance(k, str):
            raise ConfigError(source, key, f"keys must be strings, got {k!r}")
    return value


def check_known_keys(data: Mapping[str, Any], source: str, prefix: str, allowed: set[str]) -> None:
    """A ConfigError naming ``prefix + key`` for the first key of ``data`` not in ``allowed``."""
    for k in data:
        if k not in allowed:
            choices = ", ".join(sorted(allowed))
            raise ConfigError(source, f"{prefix}{k}", f"unknown key (expected one of: {choices})")


def _bool(value: object, source: str, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(source, key, f"expected true or false, got {value!r}")
    return value


def _number(value: object, source: str, key: str) -> float:
    # Bounded so that .inf/.nan or an int too large for a float are errors, not thresholds.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1e12:
        raise ConfigError(source, key, f"expected a positive number of milliseconds, got {value!r}")
    return float(value)


def string_at(value: object, source: str, key: str) -> str:
    """``value`` at ``key`` as a non-empty string, stripped; else a ConfigError."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(source, key, f"expected a non-empty string, got {value!r}")
    return value.strip()


def _workflow_name(value: object, source: str, key: str) -> str:
    name = string_at(value, source, key)
    if not WORKFLOW_NAME.match(name):
        raise ConfigError(
            source, key, f"{name!r} is not a workflow name (lower case, [a-z0-9_.-], ≤ 64 chars)"
        )
    return name


def _workflows(value: object, source: str) -> WorkflowConfig:
    data = mapping_at(value, source, "workflows")
    check_known_keys(data, source, "workflows.", {"rules", "names", "allow_unlisted"})
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        raise ConfigError(source, "workflows.rules", "expected a list of rules")
    rules = []
    for i, raw in enumerate(raw_rules):
        key = f"workflows.rules[{i}]"
        rule = mapping_at(raw, source, key)
        check_known_keys(rule, source, f"{key}.", {"name", "route", "method"})
        for required in ("name", "route"):
            if required not in rule:
                raise ConfigError(source, f"{key}.{required}", "missing required key")
        rules.append(
            WorkflowRule(
                name=_workflow_name(rule["name"], source, f"{key}.name"),
                route=string_at(rule["route"], source, f"{key}.route"),
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
    data = mapping_at(value, source, "thresholds")
    check_known_keys(data, source, "thresholds.", {"api", "database", "frontend", "errors"})
    defaults = Thresholds()
    result = {}
    for layer in ("api", "database", "frontend"):
        default: Threshold = getattr(defaults, layer)
        raw = mapping_at(data.get(layer), source, f"thresholds.{layer}")
        check_known_keys(raw, source, f"thresholds.{layer}.", {"warning_ms", "critical_ms"})
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
    return Thresholds(**result, errors=_error_threshold(data.get("errors"), source))


def _error_threshold(value: object, source: str) -> ErrorThreshold:
    default = Thresholds().errors
    raw = mapping_at(value, source, "thresholds.errors")
    check_known_keys(raw, source, "thresholds.errors.", {"warning_ratio", "critical_ratio"})
    ratios = {}
    for name in ("warning_ratio", "critical_ratio"):
        key = f"thresholds.errors.{name}"
        ratio = raw.get(name, getattr(default, name))
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 1:
            raise ConfigError(source, key, f"expected a ratio in (0, 1], got {ratio!r}")
        ratios[name] = float(ratio)
    if ratios["critical_ratio"] < ratios["warning_ratio"]:
        raise ConfigError(
            source,
            "thresholds.errors.critical_ratio",
            f"{ratios['critical_ratio']:g} is below warning_ratio {ratios['warning_ratio']:g}",
        )
    return ErrorThreshold(**ratios)


def _analyzers(value: object, source: str) -> Mapping[str, Mapping[str, Any]]:
    # Validated against the rule registry now, so a misspelled analyzer or setting fails at
    # load time (e2e-otel config, the traced app) and not only when an analysis runs.
    data = mapping_at(value, source, "analyzers")
    result = {}
    for name in sorted(data):
        rule = rule_named(name, source)
        settings = dict(mapping_at(data[name], source, f"analyzers.{name}"))
        parse_settings(rule, settings, source)
        result[name] = settings
    return result


def _backends(value: object, source: str) -> Backends:
    data = mapping_at(value, source, "backends")
    check_known_keys(
        data, source, "backends.", {"tempo", "prometheus", "grafana", "max_response_bytes"}
    )
    defaults = Backends()
    result = {}
    for name in ("tempo", "prometheus", "grafana"):
        default: Backend = getattr(defaults, name)
        raw = mapping_at(data.get(name), source, f"backends.{name}")
        for k in raw:
            if k.lower() in _SECRET_KEYS:
                raise ConfigError(
                    source,
                    f"backends.{name}.{k}",
                    "secrets are never written in the file; name an environment variable "
                    "with token_env instead",
                )
        check_known_keys(
            raw,
            source,
            f"backends.{name}.",
            {"url", "token_env", "timeout_seconds", "retries", "tenant"},
        )
        url = string_at(raw.get("url", default.url), source, f"backends.{name}.url")
        if not re.match(r"^https?://[^/\s]+", url):
            raise ConfigError(source, f"backends.{name}.url", f"{url!r} is not an http(s) URL")
        token_env = raw.get("token_env", default.token_env)
        if token_env is not None and not (
            isinstance(token_env, str) and re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", token_env)
        ):
            raise ConfigError(
                source, f"backends.{name}.token_env", f"{token_env!r} is not a variable name"
            )
        tenant = raw.get("tenant", default.tenant)
        if tenant is not None and not (isinstance(tenant, str) and _TENANT.match(tenant)):
            raise ConfigError(
                source,
                f"backends.{name}.tenant",
                f"{tenant!r} is not a tenant id (1-150 of letters, digits and !-_.*'()|)",
            )
        result[name] = Backend(
            url=url.rstrip("/"),
            token_env=token_env,
            tenant=tenant,
            timeout_seconds=_timeout(
                raw.get("timeout_seconds", default.timeout_seconds),
                source,
                f"backends.{name}.timeout_seconds",
            ),
            retries=_retries(
                raw.get("retries", default.retries), source, f"backends.{name}.retries"
            ),
        )
    limit = data.get("max_response_bytes", defaults.max_response_bytes)
    return Backends(**result, max_response_bytes=_response_bytes(limit, source))


# Mimir's and Tempo's tenant ids (X-Scope-OrgID); "|" joins several for a query.
_TENANT = re.compile(r"^[A-Za-z0-9!_.*'()|-]{1,150}$")
_MAX_TIMEOUT_SECONDS = 600
_RESPONSE_BYTES = (1024, 2**32)  # 1 KiB .. 4 GiB
_MAX_RETRIES = 10


def _timeout(value: object, source: str, key: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 < value <= _MAX_TIMEOUT_SECONDS
    ):
        reason = f"expected a number of seconds in (0, {_MAX_TIMEOUT_SECONDS}], got {value!r}"
        raise ConfigError(source, key, reason)
    return float(value)


def _retries(value: object, source: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_RETRIES:
        raise ConfigError(
            source, key, f"expected an integer from 0 to {_MAX_RETRIES}, got {value!r}"
        )
    return value


def _response_bytes(value: object, source: str) -> int:
    low, high = _RESPONSE_BYTES
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        reason = f"expected a number of bytes from {low} to {high} (4 GiB), got {value!r}"
        raise ConfigError(source, "backends.max_response_bytes", reason)
    return value


def _privacy(value: object, source: str) -> Privacy:
    data = mapping_at(value, source, "privacy")
    check_known_keys(data, source, "privacy.", {"keep_raw_sql", "keep_query_values"})
    return Privacy(
        keep_raw_sql=_bool(data.get("keep_raw_sql", False), source, "privacy.keep_raw_sql"),
        keep_query_values=_bool(
            data.get("keep_query_values", False), source, "privacy.keep_query_values"
        ),
    )
