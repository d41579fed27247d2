"""Slow queries: a pt-query-digest-style profile per fingerprint, and findings for statements
whose p95 is over the database threshold, with suggestions from their structure."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from e2e_otel.analyzers.common import (
    Endpoint,
    dominant,
    endpoint_label,
    examples,
    ms,
    pct,
    percentile,
    short,
    statement_label,
    summarize,
)
from e2e_otel.analyzers.dataset import NO_ENTRY, Dataset
from e2e_otel.analyzers.models import (
    AnalyzerResult,
    Evidence,
    Priority,
    Recommendation,
    Section,
    finding_id,
)
from e2e_otel.analyzers.settings import settings
from e2e_otel.analyzers.sql_advice import advise
from e2e_otel.config import Config

NAME = "slow_queries"
DEFAULTS = {
    "top": 20,  # rows in the profile table
    "examples": 3,  # example trace ids per fingerprint
    "high_share_pct": 25.0,  # share of all database time that makes a slow statement high
    "medium_share_pct": 5.0,
    "huge_in_list": 100,  # IN list length worth a finding
}
COLUMNS = (
    "rank",
    "fingerprint_id",
    "fingerprint",
    "calls",
    "total_ms",
    "share_pct",
    "mean_ms",
    "p50_ms",
    "p95_ms",
    "max_ms",
    "vmr",
    "routes",
    "workflows",
    "example_traces",
)
_EXPLAIN = (
    "Run EXPLAIN (or EXPLAIN ANALYZE on MySQL 8) on the statement with real values: look for "
    "type ALL, a large rows estimate, Using temporary / Using filesort"
)


class _Profile:
    """Everything the report says about one fingerprint."""

    share = 0.0  # % of all database time, set once every profile is known

    def __init__(self, ds: Dataset, fp: int, positions: list[int]) -> None:
        all_durations = ds.db_durations
        durations = sorted(all_durations[p] for p in positions)
        self.fp_id = ds.text(fp)
        info = ds.fingerprints.get(fp)
        self.text = ds.fingerprint_text(fp)
        self.sample = info.sample if info else ""
        self.calls = len(durations)
        self.total_ns = sum(durations)
        self.mean_ns = self.total_ns / self.calls
        self.p50_ns = percentile(durations, 50)
        self.p95_ns = percentile(durations, 95)
        self.max_ns = durations[-1]
        # Integer sums keep the variance exact, hence independent of the input order.
        square_sum = sum(d * d for d in durations)
        variance_ns2 = (self.calls * square_sum - self.total_ns**2) / self.calls**2
        self.vmr = round(variance_ns2 / self.mean_ns / 1e6, 3) if self.mean_ns else 0.0
        db_entries, db_workflow = ds.db_entries, ds.db_workflow
        self.endpoints: Counter[Endpoint] = Counter()
        for entry, n in Counter(db_entries[p] for p in positions).items():
            if entry != NO_ENTRY:
                self.endpoints[ds.entries[entry].endpoint] += n
        self.routes: Counter[str] = Counter()
        for endpoint, n in self.endpoints.items():
            self.routes[endpoint_label(endpoint)] += n
        self.workflows: Counter[str] = Counter()
        for workflow, n in Counter(db_workflow[p] for p in positions).items():
            self.workflows[ds.text(workflow)] += n
        self.positions = positions

    def row(self, rank: int, ds: Dataset, example_count: int) -> tuple[object, ...]:
        return (
            rank,
            self.fp_id,
            self.text,
            self.calls,
            ms(self.total_ns),
            self.share,
            ms(self.mean_ns),
            ms(self.p50_ns),
            ms(self.p95_ns),
            ms(self.max_ns),
            self.vmr,
            summarize(self.routes),
            summarize(self.workflows),
            ", ".join(self.examples(ds, example_count)),
        )

    def examples(self, ds: Dataset, count: int) -> tuple[str, ...]:
        samples = ((ds.db_duration_ns(p), ds.group_trace[ds.db_group[p]]) for p in self.positions)
        return examples(ds, samples, count)


def analyze(ds: Dataset, config: Config, now: datetime) -> AnalyzerResult:
    """The profile of every fingerprint (top rows by total time) and the slow ones' findings."""
    s = settings(config, NAME, DEFAULTS)
    by_fp: dict[int, list[int]] = {}
    for position, fp in enumerate(ds.db_fp):
        by_fp.setdefault(fp, []).append(position)
    profiles = [_Profile(ds, fp, positions) for fp, positions in by_fp.items()]
    total_db_ns = sum(p.total_ns for p in profiles)
    for profile in profiles:
        profile.share = pct(profile.total_ns, total_db_ns)
    profiles.sort(key=lambda p: (-p.total_ns, p.fp_id))
    count = int(s["examples"])
    rows = tuple(p.row(rank, ds, count) for rank, p in enumerate(profiles[: int(s["top"])], 1))
    section = Section(NAME, "Slow queries: profile by statement fingerprint", COLUMNS, rows)
    warning = config.thresholds.database.warning_ms * 1e6
    recommendations = tuple(_recommend(p, ds, config, s) for p in profiles if p.p95_ns > warning)
    return AnalyzerResult(NAME, recommendations, (section,))


def _recommend(p: _Profile, ds: Dataset, config: Config, s: dict[str, float]) -> Recommendation:
    threshold = config.thresholds.database
    critical = p.p95_ns >= threshold.critical_ms * 1e6
    priority: Priority = "low"
    if (critical and p.share >= s["medium_share_pct"]) or p.share >= s["high_share_pct"]:
        priority = "high"
    elif critical or p.share >= s["medium_share_pct"]:
        priority = "medium"
    advice = advise(p.text, p.sample, int(s["huge_in_list"]))
    endpoint = max(p.endpoints.items(), key=lambda kv: (kv[1], kv[0]))[0] if p.endpoints else None
    # Bringing every call down to the warning threshold saves at least this much per call.
    saving_ns = max(p.mean_ns - threshold.warning_ms * 1e6, 0.0)
    found = "; ".join(a.kind.replace("_", " ") for a in advice) or "nothing obvious in its text"
    return Recommendation(
        id=finding_id(NAME, p.fp_id),
        rule=NAME,
        category="database",
        priority=priority,
        title=(
            f"Slow query {statement_label(p.text)}: p95 {ms(p.p95_ns):g} ms, "
            f"{p.share:g}% of database time"
        ),
        description=(
            f"`{short(p.text)}` ran {p.calls} times for {ms(p.total_ns):g} ms in total "
            f"({p.share:g}% of all database time): mean {ms(p.mean_ns):g} ms, p50 "
            f"{ms(p.p50_ns):g}, p95 {ms(p.p95_ns):g}, max {ms(p.max_ns):g} ms (threshold: "
            f"warning {threshold.warning_ms:g} / critical {threshold.critical_ms:g} ms). "
            f"Seen in {summarize(p.routes) or 'no request span'}. Structure: {found}."
        ),
        steps=(*(a.step for a in advice), _EXPLAIN),
        expected_improvement_ms=ms(saving_ns),
        expected_improvement_pct=round(p.share * saving_ns / p.mean_ns, 2) if p.mean_ns else None,
        evidence=Evidence(
            service=endpoint[0] if endpoint else None,
            method=(endpoint[1] or None) if endpoint else None,
            route=endpoint[2] if endpoint else None,
            workflow=dominant(p.workflows),
            fingerprint_id=p.fp_id,
            fingerprint=p.text,
            figures={
                "calls": p.calls,
                "total_ms": ms(p.total_ns),
                "share_of_db_time_pct": p.share,
                "mean_ms": ms(p.mean_ns),
                "p50_ms": ms(p.p50_ns),
                "p95_ms": ms(p.p95_ns),
                "max_ms": ms(p.max_ns),
                "vmr": p.vmr,
            },
            trace_ids=p.examples(ds, int(s["examples"])),
        ),
    )
