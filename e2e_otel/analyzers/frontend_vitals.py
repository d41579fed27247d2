"""Slow pages by web vital: the ``web-vital <NAME>`` spans of ``@e2e-otel/web`` per page and
vital, their p75 (the web-vitals convention: three page views in four should be good) rated
against Google's thresholds. "poor" is a high finding, "needs improvement" a low one.

A vital span does not say which page it measured; its page is found by
:func:`.frontend_spans.page_of_vitals` (``url.path`` when the span has one, else the page
load before it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from e2e_otel.analyzers.common import examples, pct, percentile
from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.frontend_spans import page_of_vitals
from e2e_otel.analyzers.models import (
    AnalyzerResult,
    Evidence,
    Priority,
    Recommendation,
    Section,
    finding_id,
)
from e2e_otel.analyzers.registry import WEB_VITALS, WebVitalsSettings
from e2e_otel.config import Config

NAME = WEB_VITALS.name
RULE = "slow_web_vital"
COLUMNS = ("service", "page", "vital", "samples", "p75", "unit", "rating")
# Values are kept as integers in thousandths (of a millisecond, of a CLS score): percentile()
# is exact on integers.
_SCALE = 1000


class Vital(NamedTuple):
    """Google's thresholds: at most ``good`` is good, over ``poor`` is poor."""

    good: float
    poor: float
    unit: str
    steps: tuple[str, ...]


VITALS: Mapping[str, Vital] = {
    "LCP": Vital(
        2500,
        4000,
        "ms",
        (
            "Find the LCP element (Chrome DevTools > Performance, or web-vitals' attribution "
            'build) and make it arrive early: preload its image (`fetchpriority="high"`, '
            "next/image `priority`), never lazy-load it",
            "Render the main content on the server (SSR/SSG, React server components) instead "
            "of after client-side fetches",
            "Cut what blocks the first render: render-blocking CSS and scripts, large "
            "JavaScript bundles (code-split, defer what is below the fold)",
            "Serve images in the size and format needed (AVIF/WebP, responsive sizes, a CDN)",
        ),
    ),
    "INP": Vital(
        200,
        500,
        "ms",
        (
            "Find the slow interaction (web-vitals' attribution build, DevTools > Performance "
            "with CPU throttling) and the long task behind it",
            "Do less in event handlers: update the UI first and defer the rest (startTransition, "
            "useDeferredValue, setTimeout / scheduler.yield())",
            "Avoid re-rendering large trees on input: memoize (React.memo, useMemo), virtualize "
            "long lists, keep state close to where it is used",
            "Move heavy computation off the main thread (a Web Worker) and trim third-party "
            "scripts",
        ),
    ),
    "CLS": Vital(
        0.1,
        0.25,
        "score",
        (
            "Give images, videos, iframes and ads explicit width/height (or aspect-ratio)",
            "Reserve space for content that loads later (skeletons of the final size) instead "
            "of inserting it above existing content",
            "Load web fonts without layout shifts (font-display: optional or size-adjusted "
            "fallbacks; next/font)",
            "Animate with transform/opacity, not with properties that move layout",
        ),
    ),
    "FCP": Vital(
        1800,
        3000,
        "ms",
        (
            "Answer the document faster first (see TTFB)",
            "Remove render-blocking resources: inline critical CSS, defer or async scripts",
            "Send less JavaScript before the first paint (code-split, server components)",
            "Preconnect to required origins and preload key fonts",
        ),
    ),
    "TTFB": Vital(
        800,
        1800,
        "ms",
        (
            "Look at the server side of the document request: the page's server rendering and "
            "the API calls it waits for (see the slow endpoint and database findings)",
            "Cache rendered pages (static generation, ISR, a CDN) where they do not change per "
            "user",
            "Avoid redirects before the page, and serve from a region close to the users",
        ),
    ),
}


@dataclass
class _Samples:
    values: list[int] = field(default_factory=list)
    samples: list[tuple[int, int]] = field(default_factory=list)


def rating(vital: Vital, value: float) -> str:
    """web-vitals' rating: ``good``, ``needs-improvement`` or ``poor``."""
    if value > vital.poor:
        return "poor"
    return "needs-improvement" if value > vital.good else "good"


def analyze(ds: Dataset, config: Config, now: datetime) -> AnalyzerResult:
    s = WEB_VITALS.read(config)
    found: dict[tuple[str, str, str], _Samples] = {}
    for position, page in page_of_vitals(ds.browser).items():
        span = ds.browser[position]
        if span.target in VITALS:
            item = found.setdefault((span.service, page, span.target), _Samples())
            scaled = round(span.value * _SCALE)
            item.values.append(scaled)
            item.samples.append((scaled, span.trace))
    rows = []
    recommendations = []
    for key, item in sorted(found.items()):
        service, page, name = key
        vital = VITALS[name]
        p75 = percentile(sorted(item.values), 75) / _SCALE
        judged = rating(vital, p75)
        rows.append((service, page, name, len(item.values), p75, vital.unit, judged))
        if judged != "good" and len(item.values) >= s.min_samples:
            recommendations.append(_recommend(ds, key, p75, judged, item, s))
    section = Section(NAME, "Web vitals by page (p75)", COLUMNS, tuple(rows))
    return AnalyzerResult(NAME, tuple(recommendations), (section,))


def _recommend(
    ds: Dataset,
    key: tuple[str, str, str],
    p75: float,
    judged: str,
    item: _Samples,
    s: WebVitalsSettings,
) -> Recommendation:
    service, page, name = key
    vital = VITALS[name]
    priority: Priority = "high" if judged == "poor" else "low"
    unit = " ms" if vital.unit == "ms" else ""
    saving = round(p75 - vital.good, 3)
    return Recommendation(
        id=finding_id(RULE, service, page, name),
        rule=RULE,
        category="frontend",
        priority=priority,
        title=f"{name} of page {page} is {judged.replace('-', ' ')}: p75 {p75:g}{unit}",
        description=(
            f"{name} on {page} ({service}) is {p75:g}{unit} at p75 over {len(item.values)} "
            f"page views; Google rates up to {vital.good:g}{unit} good and over "
            f"{vital.poor:g}{unit} poor."
        ),
        steps=vital.steps,
        expected_improvement_ms=saving if vital.unit == "ms" else None,
        expected_improvement_pct=pct(saving, p75),
        evidence=Evidence(
            service=service,
            route=page,
            figures={"samples": len(item.values), "p75": p75, "good": vital.good},
            trace_ids=examples(ds, item.samples, s.examples),
        ),
    )
