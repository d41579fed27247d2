"""Series for the regression detector from a trace dataset: p95 latency per time bucket of each
API endpoint, workflow and statement shape, and the share of failed requests per bucket of each
endpoint and workflow.

Everything is grouped with one numpy sort per kind of subject (O(n log n)); the percentile is
the nearest rank, as in :func:`e2e_otel.analyzers.common.percentile`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from e2e_otel.analyzers.common import ENDPOINT_OF, api_entries, endpoint_label, examples, numbered
from e2e_otel.analyzers.dataset import Dataset, Entry, durations_ns
from e2e_otel.analyzers.models import Evidence, Series, SeriesMetric, SubjectKind
from e2e_otel.analyzers.series import subject_of

Ints = npt.NDArray[np.int64]
_START, _ERROR, _WORKFLOW = attrgetter("start_ns"), attrgetter("error"), attrgetter("workflow")


@dataclass(frozen=True)
class Bucketing:
    """How samples become points: ``seconds`` per bucket (widened so that the data's time range
    needs at most ``max_points`` buckets), and the fewest samples a point needs."""

    seconds: int
    min_samples: int
    max_points: int

    def width_ns(self, start_ns: int, end_ns: int) -> int:
        base = max(self.seconds, 1) * 1_000_000_000
        needed = math.ceil((end_ns - start_ns + 1) / base / max(self.max_points, 1))
        return base * max(needed, 1)


def dataset_series(ds: Dataset, bucketing: Bucketing) -> list[Series]:
    """Every subject's series with at least two points, endpoints first, then workflows, then
    statement shapes; error-ratio series only for subjects that failed at least once."""
    if ds.start_ns is None or ds.end_ns is None:
        return []
    width = bucketing.width_ns(ds.start_ns, ds.end_ns)
    # The entries' columns, read in C loops (``map`` over the fields of 200k requests).
    entries = [entry for _, entry in api_entries(ds)]
    starts = np.fromiter(map(_START, entries), np.int64, len(entries))
    durations = np.array(durations_ns(entries), dtype=np.int64)
    errors = np.fromiter(map(_ERROR, entries), np.int64, len(entries))
    buckets = starts // width
    endpoints, endpoint_numbers = numbered(list(map(ENDPOINT_OF, entries)))
    endpoint_keys = np.array(endpoint_numbers, dtype=np.int64)
    flowing = list(itertools.compress(range(len(entries)), map(_WORKFLOW, entries)))
    workflows, workflow_numbers = numbered([entries[i].workflow for i in flowing])
    workflow_keys = np.array(workflow_numbers, dtype=np.int64)
    subjects = [
        (Evidence(service=key[0], method=key[1] or None, route=key[2]), endpoint_label(key))
        for key in endpoints
    ]
    flows = [(Evidence(workflow=name), name) for name in workflows]
    chosen = np.array(flowing, dtype=np.int64)
    out = [
        *_series("route", subjects, endpoint_keys, buckets, durations, errors, width, bucketing),
        *_series(
            "workflow",
            flows,
            workflow_keys,
            buckets[chosen],
            durations[chosen],
            errors[chosen],
            width,
            bucketing,
        ),
    ]
    fp = np.asarray(ds.db_fp, dtype=np.int64)
    named = np.flatnonzero(fp != 0)
    db_start = np.asarray(ds.db_start, dtype=np.int64)[named]
    db_duration = np.asarray(ds.db_durations, dtype=np.int64)[named]
    ids = np.unique(fp[named])
    index = np.searchsorted(ids, fp[named])
    statements = [
        (Evidence(fingerprint_id=ds.text(i), fingerprint=ds.fingerprint_text(i)), ds.text(i))
        for i in ids.tolist()
    ]
    out += _series(
        "fingerprint", statements, index, db_start // width, db_duration, None, width, bucketing
    )
    return out


def _series(
    kind: SubjectKind,
    subjects: Sequence[tuple[Evidence, str]],
    keys: Ints,
    buckets: Ints,
    durations: Ints,
    errors: Ints | None,
    width_ns: int,
    bucketing: Bucketing,
) -> Iterator[Series]:
    for key, bucket, p95, count, failed in _grouped(keys, buckets, durations, errors):
        keep = count >= max(bucketing.min_samples, 1)
        if int(keep.sum()) < 2:
            continue
        evidence, target = subjects[key]
        times = (bucket[keep] * width_ns / 1e9).tolist()
        counts = tuple(count[keep].tolist())
        metrics: list[tuple[SeriesMetric, list[float]]] = [("p95_ms", (p95[keep] / 1e6).tolist())]
        if failed is not None and failed.any():
            metrics.append(("error_ratio", (failed[keep] / count[keep]).tolist()))
        for metric, values in metrics:
            points = tuple(zip(times, values, strict=True))
            yield Series(kind, target, metric, points, evidence, counts)


def _grouped(
    keys: Ints, buckets: Ints, durations: Ints, errors: Ints | None
) -> Iterator[tuple[int, Ints, Ints, Ints, Ints | None]]:
    """Per key, ascending: (key, buckets, p95 duration, samples, failures) per bucket."""
    if not len(keys):
        return
    order = np.lexsort((durations, buckets, keys))
    keys, buckets, durations = keys[order], buckets[order], durations[order]
    boundary = (keys[1:] != keys[:-1]) | (buckets[1:] != buckets[:-1])
    starts = np.concatenate(([0], np.flatnonzero(boundary) + 1))
    counts = np.diff(np.concatenate((starts, [len(keys)])))
    ranks = np.maximum(np.ceil(95 / 100 * counts).astype(np.int64), 1)
    p95 = durations[starts + ranks - 1]
    failed = None if errors is None else np.add.reduceat(errors[order], starts)
    group_keys, group_buckets = keys[starts], buckets[starts]
    cuts = np.concatenate(([0], np.flatnonzero(np.diff(group_keys)) + 1, [len(starts)]))
    for lo, hi in itertools.pairwise(cuts.tolist()):
        yield (
            int(group_keys[lo]),
            group_buckets[lo:hi],
            p95[lo:hi],
            counts[lo:hi],
            None if failed is None else failed[lo:hi],
        )


class ExampleFinder:
    """The example traces of regression findings: a subject's slowest (or failed) requests
    after its change. The dataset is indexed once, on first use, by statement shape, endpoint
    and workflow, so each finding looks only at its own subject's samples (a scan of every
    entry per finding made example picking the bulk of an analysis with many findings)."""

    def __init__(self, ds: Dataset) -> None:
        self._ds = ds
        self._by_fp: dict[int, Ints] | None = None
        self._by_route: dict[tuple[str, str], list[Entry]] | None = None
        self._by_workflow: dict[str, list[Entry]] | None = None

    def after(
        self, evidence: Evidence, since_unix_s: float, *, failed: bool, count: int
    ) -> tuple[str, ...]:
        """The subject's ``count`` slowest requests (statements, for a fingerprint) that
        started at or after ``since_unix_s``; with ``failed``, only failed requests."""
        ds = self._ds
        since_ns = int(since_unix_s * 1e9)
        kind, target = subject_of(evidence)
        if kind == "fingerprint":
            positions = self._fingerprints().get(self._string(target), _NONE)
            starts, durations = ds.db_start, ds.db_durations
            db_group, group_trace = ds.db_group, ds.group_trace
            samples = (
                (durations[p], group_trace[db_group[p]])
                for p in positions.tolist()
                if starts[p] >= since_ns
            )
            return examples(ds, samples, count)
        if kind == "route":
            entries = self._routes().get((evidence.service or "", target), [])
        else:
            entries = self._workflows().get(target, [])
        return examples(
            ds,
            (
                (e.duration_ns, e.trace)
                for e in entries
                if e.start_ns >= since_ns and (e.error or not failed)
            ),
            count,
        )

    def _string(self, text: str) -> int:
        try:
            return self._ds.strings.index(text)
        except ValueError:
            return -1

    def _fingerprints(self) -> dict[int, Ints]:
        if self._by_fp is None:
            fps = np.asarray(self._ds.db_fp, dtype=np.int64)
            order = np.argsort(fps, kind="stable")
            cuts = np.flatnonzero(np.diff(fps[order])) + 1
            self._by_fp = {
                int(fps[group[0]]): group for group in np.split(order, cuts) if len(group)
            }
        return self._by_fp

    def _routes(self) -> dict[tuple[str, str], list[Entry]]:
        if self._by_route is None:
            self._by_route = {}
            for _, entry in api_entries(self._ds):
                key = (entry.service, endpoint_label(entry.endpoint))
                self._by_route.setdefault(key, []).append(entry)
        return self._by_route

    def _workflows(self) -> dict[str, list[Entry]]:
        if self._by_workflow is None:
            self._by_workflow = {}
            for _, entry in api_entries(self._ds):
                self._by_workflow.setdefault(entry.workflow, []).append(entry)
        return self._by_workflow


_NONE: Ints = np.zeros(0, dtype=np.int64)
