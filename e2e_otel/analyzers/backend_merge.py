"""One report from what Tempo's traces and Prometheus' span metrics found (the rules are in
:mod:`e2e_otel.analyzers.backends`): Prometheus' finding wins on the same id, completed with the
traces' example trace ids and statement text; a traces' finding Prometheus judged is dropped;
what span metrics cannot see stays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from e2e_otel.analyzers import error_hotspots, health, slow_queries, thresholds
from e2e_otel.analyzers.backend_metrics import Subject
from e2e_otel.analyzers.consolidate import consolidate
from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.models import AnalyzerResult, Recommendation, Report, Section
from e2e_otel.analyzers.registry import RULES, needing
from e2e_otel.analyzers.run import sampling_of

#: Name of the report section saying what came from which backend.
COVERAGE = "backends"
#: Analyzers Prometheus computes over every request (the traces only over a sample).
POPULATION = needing("population")


def _subject(analyzer: str, rec: Recommendation) -> Subject | None:
    """What Prometheus would have to count to judge a finding of the traces; None when span
    metrics cannot see it (a frontend page, errors the application handled)."""
    ev = rec.evidence
    if analyzer == slow_queries.NAME:
        return ("fingerprint", ev.fingerprint_id or "")
    if rec.rule == "slow_workflow":
        return ("workflow", ev.workflow or "")
    if rec.rule == "slow_frontend" or rec.category == "frontend":
        return None
    if analyzer == error_hotspots.NAME and error_hotspots.is_handled(rec):
        return None
    return ("endpoint", ev.service or "", ev.method or "", ev.route or "")


def _judged(analyzer: str, rec: Recommendation, seen: frozenset[Subject]) -> bool:
    """Whether Prometheus counted the subject of this finding of the traces."""
    subject = _subject(analyzer, rec) if analyzer in POPULATION else None
    return subject is not None and subject in seen


def _unseen_rows(section: Section) -> tuple[tuple[object, ...], ...]:
    """Rows of a traces' section about what span metrics cannot see: frontend pages and
    services, errors the application handled or that a frontend raised."""
    column = {name: i for i, name in enumerate(section.columns)}
    if section.name == thresholds.NAME:
        return tuple(row for row in section.rows if row[column["kind"]] == "frontend")
    if section.name == health.NAME:
        return tuple(row for row in section.rows if row[column["kind"]] == "frontend service")
    if section.name == error_hotspots.NAME:
        return tuple(
            row
            for row in section.rows
            if row[column["handled"]] is True
            or error_hotspots.layer_of(str(row[column["category"]])) == "frontend"
        )
    return ()


def _merge(traced: Recommendation | None, whole: Recommendation) -> Recommendation:
    if traced is None:
        return whole
    evidence = replace(
        whole.evidence,
        trace_ids=whole.evidence.trace_ids or traced.evidence.trace_ids,
        fingerprint=whole.evidence.fingerprint or traced.evidence.fingerprint,
    )
    # The traces saw the statement's text: their SQL advice is the specific one.
    steps = traced.steps if whole.rule == slow_queries.NAME else whole.steps
    return replace(whole, evidence=evidence, steps=steps)


def merged_report(
    traced: Sequence[AnalyzerResult],
    population: Sequence[AnalyzerResult],
    seen: frozenset[Subject] | None,
    coverage: list[tuple[str, str, str]],
    dataset: Dataset | None,
    problems: list[str],
    now: datetime,
    window: timedelta,
    baseline: timedelta,
    backends: Sequence[str],
) -> Report:
    """The merged report; ``seen``: the subjects Prometheus counted (None without it);
    ``backends``: "name: url" of each backend asked."""
    whole = {r.id for result in population for r in result.recommendations}
    by_id = {
        r.id: r
        for result in traced
        for r in result.recommendations
        if seen is None or r.id in whole or not _judged(result.analyzer, r, seen)
    }
    for result in population:
        for rec in result.recommendations:
            by_id[rec.id] = _merge(by_id.get(rec.id), rec)
    sections: dict[str, Section] = {}
    for result in traced:
        if seen is None or result.analyzer not in POPULATION:
            sections.update((section.name, section) for section in result.sections)
        else:  # what span metrics cannot see, added after Prometheus' rows below
            sections.update(
                (section.name, replace(section, rows=rows))
                for section in result.sections
                if (rows := _unseen_rows(section))
            )
    for result in population:
        for section in result.sections:
            extra = sections[section.name].rows if section.name in sections else ()
            sections[section.name] = replace(section, rows=(*section.rows, *extra))
    order = [rule.name for rule in RULES]
    ordered = sorted(sections.values(), key=lambda s: order.index(s.name))
    columns = ("analysis", "source", "note")
    title = "What was analyzed from which backend"
    ordered.append(Section(COVERAGE, title, columns, tuple(sorted(coverage))))
    span = f"window {window.total_seconds():g}s, baseline {baseline.total_seconds():g}s"
    return Report(
        generated_at=now,
        source=f"{', '.join(backends)} ({span})",
        window_start=now - window,
        window_end=now,
        spans=dataset.spans if dataset else 0,
        traces=len(dataset.trace_ids) if dataset else 0,
        recommendations=tuple(
            sorted(consolidate(list(by_id.values())), key=Recommendation.sort_key)
        ),
        sections=tuple(ordered),
        problems=tuple(problems),
        complete=not problems,
        charts=tuple(chart for result in population for chart in result.charts),
        # Traces Tempo holds from a sampling tier carry its mark: the report says so.
        sampling=sampling_of(dataset) if dataset else None,
    )
