"""The validated configuration's types (see :mod:`e2e_otel.config` for loading)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from e2e_otel.errors import UserError

WORKFLOW_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
_CORRELATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")


class ConfigError(UserError, ValueError):
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

    def match(self, method: str, route: str, *spellings: str) -> str | None:
        """The first rule that matches ``route`` or one of its other ``spellings`` (a regex
        route in ``path()`` syntax): a rule written for the route must not lose to a later,
        wider one that matches another spelling."""
        for rule in self.rules:
            if rule.matches(method, route):
                return rule.name
            if spellings and any(rule.matches(method, s) for s in spellings):
                return rule.name
        return None

    def accepts(self, name: str) -> bool:
        """Whether a workflow name sent by a client (header/baggage) is accepted."""
        if not WORKFLOW_NAME.match(name):
            return False
        return self.allow_unlisted or name in self.names or any(r.name == name for r in self.rules)


@dataclass(frozen=True)
class Threshold:
    warning_ms: float
    critical_ms: float


@dataclass(frozen=True)
class ErrorThreshold:
    """Share of failed requests (0-1) per workflow that warns / is critical."""

    warning_ratio: float
    critical_ratio: float


@dataclass(frozen=True)
class Thresholds:
    api: Threshold = Threshold(200.0, 500.0)
    database: Threshold = Threshold(50.0, 200.0)
    frontend: Threshold = Threshold(100.0, 300.0)
    errors: ErrorThreshold = ErrorThreshold(0.05, 0.20)


@dataclass(frozen=True)
class Backend:
    """An HTTP backend: base URL, the environment variable holding its token (never the token),
    seconds per request and further attempts after a retryable failure."""

    url: str
    token_env: str | None = None
    timeout_seconds: float = 10.0
    retries: int = 2
    tenant: str | None = None
    """Sent as ``X-Scope-OrgID`` (the tenant header of Mimir, Tempo and Loki in multi-tenant
    mode); not a secret."""


@dataclass(frozen=True)
class Backends:
    """The backends, and the largest answer read from Tempo or Prometheus (bytes)."""

    tempo: Backend = Backend("http://localhost:3200")
    prometheus: Backend = Backend("http://localhost:9090")
    grafana: Backend = Backend("http://localhost:3000", token_env="GRAFANA_TOKEN")
    max_response_bytes: int = 64 * 1024 * 1024


@dataclass(frozen=True)
class Privacy:
    keep_raw_sql: bool = False
    keep_query_values: bool = False


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
