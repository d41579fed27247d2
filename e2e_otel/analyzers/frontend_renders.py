"""Slow renders by component: the ``render <component>`` spans of ``@e2e-otel/web`` per
component, their p95 against ``thresholds.frontend`` (warning, critical), with what a React
developer does about a slow component."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from e2e_otel.analyzers.common import examples, ms, pct, percentile
from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.models import AnalyzerResult, Evidence, Recommendation, Section, finding_id
from e2e_otel.analyzers.registry import SLOW_RENDERS, SlowRendersSettings
from e2e_otel.config import Config

NAME = SLOW_RENDERS.name
RULE = "slow_render"
COLUMNS = ("service", "component", "renders", "p50_ms", "p95_ms", "max_ms", "slow_pct")
STEPS = (
    "Profile the component with the React DevTools Profiler in a production profiling build "
    "(react-dom/profiling; `next build --profile`) to see which renders and which children "
    "take the time",
    "Move expensive work out of render: compute derived data once with useMemo, or on the "
    "server / when the data arrives, not on every render",
    "Skip re-renders whose props did not change: React.memo on the component (and on its "
    "list items), with stable callbacks (useCallback) and props",
    "Virtualize long lists (react-window, TanStack Virtual): render only the visible rows",
    "Keep the page responsive while it renders: useDeferredValue or startTransition for the "
    "expensive part, so input is not blocked",
)


@dataclass
class _Component:
    durations: list[int] = field(default_factory=list)
    samples: list[tuple[int, int]] = field(default_factory=list)


def analyze(ds: Dataset, config: Config, now: datetime) -> AnalyzerResult:
    s = SLOW_RENDERS.read(config)
    components: dict[tuple[str, str], _Component] = {}
    for span in ds.browser:
        if span.is_render:
            item = components.setdefault((span.service, span.target), _Component())
            item.durations.append(span.duration_ns)
            item.samples.append((span.duration_ns, span.trace))
    threshold = config.thresholds.frontend
    rows = []
    recommendations = []
    for key, item in sorted(components.items(), key=lambda kv: (-_p95(kv[1]), kv[0])):
        durations = sorted(item.durations)
        slow = sum(d > threshold.warning_ms * 1e6 for d in durations)
        rows.append(
            (
                *key,
                len(durations),
                ms(percentile(durations, 50)),
                ms(_p95(item)),
                ms(durations[-1]),
                pct(slow, len(durations)),
            )
        )
        if ms(_p95(item)) > threshold.warning_ms and len(durations) >= s.min_renders:
            recommendations.append(_recommend(ds, key, item, config, s))
    section = Section(NAME, "Renders by component", COLUMNS, tuple(rows))
    return AnalyzerResult(NAME, tuple(recommendations), (section,))


def _p95(item: _Component) -> int:
    return percentile(sorted(item.durations), 95)


def _recommend(
    ds: Dataset,
    key: tuple[str, str],
    item: _Component,
    config: Config,
    s: SlowRendersSettings,
) -> Recommendation:
    service, component = key
    threshold = config.thresholds.frontend
    p95 = ms(_p95(item))
    saving = round(p95 - threshold.warning_ms, 3)
    return Recommendation(
        id=finding_id(RULE, service, component),
        rule=RULE,
        category="frontend",
        priority="high" if p95 > threshold.critical_ms else "medium",
        title=f"Component {component} renders slowly: p95 {p95:g} ms",
        description=(
            f"{component} ({service}) took {p95:g} ms at p95 over {len(item.durations)} "
            f"renders, against the frontend threshold of {threshold.warning_ms:g} ms "
            f"(critical {threshold.critical_ms:g} ms). While it renders the main thread is "
            "busy: input waits (INP) and the page paints late."
        ),
        steps=STEPS,
        expected_improvement_ms=saving,
        expected_improvement_pct=pct(saving, p95),
        evidence=Evidence(
            service=service,
            route=f"render {component}",
            figures={
                "renders": len(item.durations),
                "p50_ms": ms(percentile(sorted(item.durations), 50)),
                "p95_ms": p95,
                "max_ms": ms(max(item.durations)),
            },
            trace_ids=examples(ds, item.samples, s.examples),
        ),
    )
