"""Every analysis rule, once: its name, its typed settings, its functions and what it needs.

:data:`RULES` is the one list. ``run.FILE_ANALYZERS`` (and so the report's section order), the
backend path's trace-only and population lists and the validation of ``analyzers.<name>.<key>``
all derive from it; a rule added here is analyzed, validated and documented everywhere.

Design: this module is read at configuration load time (:mod:`e2e_otel.config_parse`
validates ``analyzers.*`` with it, inside the traced app too), so it imports only the standard
library and :mod:`e2e_otel.config_types`: no numpy, scipy, httpx, nor the analyzers
themselves. A rule names its functions as ``"module:function"`` strings, imported the first
time they are asked for (:meth:`Rule.file_function`, :meth:`Rule.backend_function`);
``tests/analyzers/test_registry.py`` resolves every one, so a renamed function fails a test,
not a run. The settings are frozen dataclasses defined here: their field defaults are the
documented defaults, the validation reads their names and types, and the analyzers read
``settings.min_repeats`` from :meth:`Rule.read` instead of string keys.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast

from e2e_otel.config_types import Config, ConfigError

if TYPE_CHECKING:
    from datetime import datetime

    from e2e_otel.analyzers.dataset import Dataset
    from e2e_otel.analyzers.models import AnalyzerResult, Recommendation
    from e2e_otel.sources.prometheus import SpanMetrics

# Quoted: the types are imported for the type checker only (they would pull in numpy).
#: A file analyzer: the dataset (from files or Tempo's traces), the configuration, now.
FileAnalyzer = Callable[["Dataset", Config, "datetime"], "AnalyzerResult"]
#: A population analyzer on Prometheus' span metrics; ``traced``: what the traces found (they
#: can name what span metrics cannot, e.g. a failing statement).
BackendAnalyzer = Callable[["SpanMetrics", Config, "Sequence[Recommendation]"], "AnalyzerResult"]
#: ``traces``: only traces show it (N+1, chatty, parallelizable); ``population``: Prometheus
#: counts it over every request (the traces only over a sample); ``series``: it needs time
#: series (Prometheus' range queries or Tempo's TraceQL metrics), never a biased sample.
Needs = Literal["traces", "population", "series"]
S = TypeVar("S")


@dataclass(frozen=True)
class HealthSettings:
    """``health`` takes no settings."""


@dataclass(frozen=True)
class ThresholdsSettings:
    min_requests: int = 1
    """Requests a subject needs before it can get a finding."""
    examples: int = 3
    """Example traces per finding (slowest first)."""


@dataclass(frozen=True)
class SlowQueriesSettings:
    top: int = 20
    """Rows in the profile table (findings are not limited)."""
    examples: int = 3
    """Example traces per fingerprint."""
    high_share_pct: float = 25.0
    """Share of database time that makes a slow statement high."""
    medium_share_pct: float = 5.0
    """Share that makes it medium (high when also critical)."""
    huge_in_list: int = 100
    """IN list length worth a suggestion."""


@dataclass(frozen=True)
class NPlusOneSettings:
    min_repeats: int = 5
    """Repeats of one statement under one parent that make a loop N+1, however fast (the
    count rule of django-zeal and Django's assertNumQueries, not Sentry's timed one)."""
    min_total_ms: float = 50.0
    """Loop time per request below which a loop is at most medium priority."""
    examples: int = 3
    """Example traces (longest loops first)."""


@dataclass(frozen=True)
class ChattySettings:
    min_db_spans: int = 15
    """Queries per request at the median."""
    top: int = 20
    """Rows in the table."""
    examples: int = 3
    """Example traces (most queries first)."""


@dataclass(frozen=True)
class ParallelizableSettings:
    min_query_ms: float = 5.0
    """Each query at least this long."""
    min_saving_ms: float = 10.0
    """Average saving worth a finding (shorter ones stay in the table)."""
    examples: int = 3
    """Example traces."""


@dataclass(frozen=True)
class ErrorHotspotsSettings:
    examples: int = 3
    """Example traces."""


@dataclass(frozen=True)
class SlowRendersSettings:
    min_renders: int = 1
    """Renders a component needs before it can get a finding."""
    examples: int = 3
    """Example traces (slowest renders first)."""


@dataclass(frozen=True)
class FetchWaterfallsSettings:
    max_gap_ms: float = 50.0
    """Longest wait between one fetch's end and the next one's start that still makes them a
    chain (a longer pause is the user, not the code)."""
    min_saving_ms: float = 20.0
    """Average saving worth a finding (smaller chains stay in the table)."""
    examples: int = 3
    """Example traces."""


@dataclass(frozen=True)
class WebVitalsSettings:
    min_samples: int = 1
    """Reports of a vital on a page before it can get a finding."""
    examples: int = 3
    """Example traces (worst values first)."""


@dataclass(frozen=True)
class WorkflowLayersSettings:
    top: int = 50
    """Rows in the table (workflows with the most requests first)."""


@dataclass(frozen=True)
class RegressionsSettings:
    p_value: float = 0.003
    """Two-sample test threshold (after the search correction)."""
    min_relative_change: float = 0.10
    """Smallest reported change, relative to the level before."""
    min_absolute_ms: float = 20.0
    """Smallest reported latency change."""
    min_absolute_error_ratio: float = 0.02
    """Smallest reported error-ratio change (2 percentage points)."""
    min_points_per_segment: int = 5
    """Points each side of a change needs."""
    bucket_seconds: int = 60
    """Time bucket of the series built from traces."""
    min_requests_per_point: int = 5
    """Requests a bucket needs to be a point (a nearest-rank p95 of fewer than 20 is the
    maximum)."""
    max_points: int = 500
    """Points per series at most (buckets widened / points averaged)."""
    max_charts: int = 12
    """Series charted in the report."""
    high_relative_change: float = 0.5
    """Latency rise that is high priority whatever the thresholds."""
    examples: int = 3
    """Example traces."""


@dataclass(frozen=True)
class Rule(Generic[S]):
    """One analysis rule. ``file``: its analyzer on a dataset; ``backend``: its analyzer on
    Prometheus' span metrics, exactly for the ``population`` rules (as ``"module:function"``,
    imported on first use)."""

    name: str
    settings: type[S]
    file: str
    backend: str | None
    needs: Needs

    def __post_init__(self) -> None:
        if (self.backend is not None) != (self.needs == "population"):
            raise ValueError(f"{self.name}: a backend function exactly for population rules")

    def read(self, config: Config) -> S:
        """This rule's settings: the defaults overridden by ``config.analyzers[name]``.
        Raises :class:`ConfigError` naming ``analyzers.<name>.<key>`` on a bad one."""
        return parse_settings(self, config.analyzers.get(self.name) or {}, config.source)

    def file_function(self) -> FileAnalyzer:
        return cast(FileAnalyzer, _resolve(self.file))

    def backend_function(self) -> BackendAnalyzer | None:
        return None if self.backend is None else cast(BackendAnalyzer, _resolve(self.backend))


_A = "e2e_otel.analyzers."
HEALTH = Rule(
    "health",
    HealthSettings,
    f"{_A}health:analyze",
    f"{_A}backend_metrics:analyze_health",
    "population",
)
THRESHOLDS = Rule(
    "thresholds",
    ThresholdsSettings,
    f"{_A}thresholds:analyze",
    f"{_A}backend_metrics:analyze_thresholds",
    "population",
)
SLOW_QUERIES = Rule(
    "slow_queries",
    SlowQueriesSettings,
    f"{_A}slow_queries:analyze",
    f"{_A}backend_statements:analyze_statements",
    "population",
)
N_PLUS_ONE = Rule("n_plus_one", NPlusOneSettings, f"{_A}n_plus_one:analyze", None, "traces")
CHATTY = Rule("chatty", ChattySettings, f"{_A}chatty:analyze", None, "traces")
PARALLELIZABLE = Rule(
    "parallelizable", ParallelizableSettings, f"{_A}parallelizable:analyze", None, "traces"
)
ERROR_HOTSPOTS = Rule(
    "error_hotspots",
    ErrorHotspotsSettings,
    f"{_A}error_hotspots:analyze",
    f"{_A}backend_statements:analyze_errors",
    "population",
)
SLOW_RENDERS = Rule(
    "slow_renders", SlowRendersSettings, f"{_A}frontend_renders:analyze", None, "traces"
)
FETCH_WATERFALLS = Rule(
    "fetch_waterfalls",
    FetchWaterfallsSettings,
    f"{_A}frontend_waterfalls:analyze",
    None,
    "traces",
)
WEB_VITALS = Rule("web_vitals", WebVitalsSettings, f"{_A}frontend_vitals:analyze", None, "traces")
WORKFLOW_LAYERS = Rule(
    "workflow_layers", WorkflowLayersSettings, f"{_A}frontend_layers:analyze", None, "traces"
)
REGRESSIONS = Rule("regressions", RegressionsSettings, f"{_A}regressions:analyze", None, "series")
#: Every rule, in the order their sections appear in the report.
RULES: tuple[Rule[Any], ...] = (
    HEALTH,
    THRESHOLDS,
    SLOW_QUERIES,
    N_PLUS_ONE,
    CHATTY,
    PARALLELIZABLE,
    ERROR_HOTSPOTS,
    SLOW_RENDERS,
    FETCH_WATERFALLS,
    WEB_VITALS,
    WORKFLOW_LAYERS,
    REGRESSIONS,
)
BY_NAME: Mapping[str, Rule[Any]] = {rule.name: rule for rule in RULES}


def needing(needs: Needs) -> tuple[str, ...]:
    """Names of the rules that need ``needs``, in report order."""
    return tuple(rule.name for rule in RULES if rule.needs == needs)


def rule_named(name: str, source: str) -> Rule[Any]:
    """The rule called ``name``; a ConfigError naming ``analyzers.<name>`` when none is."""
    rule = BY_NAME.get(name)
    if rule is None:
        known = ", ".join(sorted(BY_NAME))
        raise ConfigError(source, f"analyzers.{name}", f"unknown analyzer (known: {known})")
    return rule


def parse_settings(rule: Rule[S], raw: Mapping[str, object], source: str) -> S:
    """``rule``'s settings from ``raw`` (one ``analyzers.<name>`` mapping). Every value must
    be a finite number >= 0, and an integer where the default is one."""
    fields = {f.name: f for f in dataclasses.fields(cast("Any", rule.settings))}
    values: dict[str, float] = {}
    for key in sorted(raw):
        where = f"analyzers.{rule.name}.{key}"
        if key not in fields:
            raise ConfigError(
                source, where, f"unknown setting (known: {', '.join(sorted(fields))})"
            )
        value = raw[key]
        if not _finite_non_negative(value):
            raise ConfigError(source, where, f"expected a number >= 0, got {value!r}")
        assert isinstance(value, (int, float))  # checked above; for the type checker
        if isinstance(fields[key].default, int):
            if not isinstance(value, int):
                raise ConfigError(source, where, f"expected an integer, got {value!r}")
            values[key] = value
        else:
            values[key] = float(value)
    return rule.settings(**values)


def validate(config: Config) -> None:
    """Raise :class:`ConfigError` on an unknown analyzer or a bad setting of ``config``
    (the loader already did; a :class:`Config` can also be built directly)."""
    for name in sorted(config.analyzers):
        rule_named(name, config.source)
    for rule in RULES:
        rule.read(config)


def _finite_non_negative(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value) and value >= 0
    except OverflowError:  # an integer beyond any float: not a setting
        return False


@cache
def _resolve(reference: str) -> object:
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)
