"""Slow queries: a pt-query-digest-style profile per fingerprint, and findings for statements
whose p95 is over the database threshold, with suggestions from their structure."""

from __future__ import annotations

import operator
from collections import Counter
from datetime import datetime

import numpy as np
import numpy.typing as npt

from e2e_otel.analyzers.common import (
    ENDPOINT_OF,
    Endpoint,
    dominant,
    endpoint_title,
    ms,
    numbered,
    pct,
    percentile,
    slowest_examples,
    summarize,
)
from e2e_otel.analyzers.dataset import Dataset
from e2e_otel.analyzers.judgements import StatementSummary, slow_query
from e2e_otel.analyzers.models import AnalyzerResult, Section
from e2e_otel.analyzers.registry import SLOW_QUERIES, SlowQueriesSettings
from e2e_otel.config import Config

NAME = SLOW_QUERIES.name
TITLE = "Slow queries: profile by statement fingerprint"
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


class _Ends:
    """What every profile reads: durations as a numpy column, and the endpoints numbered
    (``endpoint_of[entry]``, -1 for NO_ENTRY: counting ints is twice as fast as tuples)."""

    def __init__(self, ds: Dataset) -> None:
        self.durations = np.frombuffer(ds.db_durations, dtype=np.int64)
        self.endpoints: list[Endpoint]
        self.endpoints, self.endpoint_of = numbered(list(map(ENDPOINT_OF, ds.entries)))
        self.endpoint_of.append(-1)  # NO_ENTRY: the last item


class _Profile:
    """Everything the report says about one fingerprint."""

    share = 0.0  # % of all database time, set once every profile is known

    def __init__(self, ds: Dataset, fp: int, positions: npt.NDArray[np.intp], ends: _Ends) -> None:
        # numpy, or C loops (``map``) over the columns: the busiest statement has half the spans.
        durations: list[int] = np.sort(ends.durations[positions]).tolist()
        self.positions: list[int] = positions.tolist()
        self.fp_id = ds.text(fp)
        info = ds.fingerprints.get(fp)
        self.text = ds.fingerprint_text(fp)
        self.recorded = info.text if info else ""  # "" when only the id was recorded
        self.sample = info.sample if info else ""
        self.calls = len(durations)
        self.total_ns = sum(durations)
        self.mean_ns = self.total_ns / self.calls
        self.p50_ns = percentile(durations, 50)
        self.p95_ns = percentile(durations, 95)
        self.max_ns = durations[-1]
        # Integer sums keep the variance exact, hence independent of the input order.
        square_sum = sum(map(operator.mul, durations, durations))
        variance_ns2 = (self.calls * square_sum - self.total_ns**2) / self.calls**2
        self.vmr = round(variance_ns2 / self.mean_ns / 1e6, 3) if self.mean_ns else 0.0
        entries = map(ds.db_entries.__getitem__, self.positions)
        counted = Counter(map(ends.endpoint_of.__getitem__, entries))  # NO_ENTRY: -1
        self.endpoints = Counter({ends.endpoints[i]: n for i, n in counted.items() if i >= 0})
        self.routes: Counter[str] = Counter()
        for endpoint, n in self.endpoints.items():
            self.routes[endpoint_title(endpoint)] += n  # shown: the route as a template
        self.workflows: Counter[str] = Counter()
        for workflow, n in Counter(map(ds.db_workflow.__getitem__, self.positions)).items():
            self.workflows[ds.text(workflow)] += n
        self._examples: dict[int, tuple[str, ...]] = {}

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

    def summary(self, ds: Dataset, cfg: SlowQueriesSettings) -> StatementSummary:
        """What the slow-queries judgement reads (ms, unrounded)."""
        endpoints = self.endpoints
        endpoint = max(endpoints.items(), key=lambda kv: (kv[1], kv[0]))[0] if endpoints else None
        return StatementSummary(
            fingerprint_id=self.fp_id,
            text=self.recorded,
            sample=self.sample,
            calls=self.calls,
            total_ms=self.total_ns / 1e6,
            share_pct=self.share,
            mean_ms=self.mean_ns / 1e6,
            p50_ms=self.p50_ns / 1e6,
            p95_ms=self.p95_ns / 1e6,
            max_ms=self.max_ns / 1e6,
            vmr=self.vmr,
            routes=self.routes,
            workflows=self.workflows,
            service=endpoint[0] if endpoint else None,
            method=(endpoint[1] or None) if endpoint else None,
            route=endpoint[2] if endpoint else None,
            workflow=dominant(self.workflows),
            trace_ids=self.examples(ds, cfg.examples),
        )

    def examples(self, ds: Dataset, count: int) -> tuple[str, ...]:
        # Memoized: the table row and the finding both ask, and each asks for a pass over
        # every call of the statement.
        found = self._examples.get(count)
        if found is None:
            positions = self.positions
            durations = list(map(ds.db_durations.__getitem__, positions))
            traces = list(map(ds.group_trace.__getitem__, map(ds.db_group.__getitem__, positions)))
            found = self._examples[count] = slowest_examples(ds, durations, traces, count)
        return found


def _by_fingerprint(ds: Dataset) -> dict[int, npt.NDArray[np.intp]]:
    """The database span positions of each fingerprint, ascending (a stable sort in numpy:
    a tenth of the time of a dict filled in a loop over a million spans)."""
    if not ds.db_count:
        return {}
    fps = np.frombuffer(ds.db_fp, dtype=np.int32)
    order = np.argsort(fps, kind="stable")
    ordered = fps[order]
    cuts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    starts = [0, *cuts.tolist()]
    return {
        int(ordered[start]): part for start, part in zip(starts, np.split(order, cuts), strict=True)
    }


def analyze(ds: Dataset, config: Config, now: datetime) -> AnalyzerResult:
    """The profile of every fingerprint (top rows by total time) and the slow ones' findings."""
    cfg = SLOW_QUERIES.read(config)
    ends = _Ends(ds)
    profiles = [_Profile(ds, fp, p, ends) for fp, p in _by_fingerprint(ds).items()]
    total_db_ns = sum(p.total_ns for p in profiles)
    for profile in profiles:
        profile.share = pct(profile.total_ns, total_db_ns)
    profiles.sort(key=lambda p: (-p.total_ns, p.fp_id))
    rows = tuple(p.row(rank, ds, cfg.examples) for rank, p in enumerate(profiles[: cfg.top], 1))
    section = Section(NAME, TITLE, COLUMNS, rows)
    warning = config.thresholds.database.warning_ms * 1e6
    recommendations = tuple(
        slow_query(p.summary(ds, cfg), config, cfg) for p in profiles if p.p95_ns > warning
    )
    return AnalyzerResult(NAME, recommendations, (section,))
