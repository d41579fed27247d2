"""The dataset's derived columns and the example picking, computed in C loops for speed, are
what the plain definitions give: per span, per request and per sample, ties included."""

from __future__ import annotations

import dataclasses
import random

from hypothesis import example, given, settings
from hypothesis import strategies as st

from e2e_otel.analyzers.common import examples, slowest_examples
from e2e_otel.analyzers.dataset import NO_ENTRY, Dataset, durations_ns
from tests.analyzers.conftest import Trace, dataset, spans_of

STATEMENTS = tuple(f"SELECT * FROM t{n} WHERE id = 1" for n in range(3))


def _dataset(seed: int) -> Dataset:
    """Requests with queries under them, queries without a request, and spans ending before
    they start (broken clocks), at random."""
    rng = random.Random(seed)
    traces = []
    for _ in range(rng.randint(0, 40)):
        trace = Trace()
        start = rng.uniform(0, 1000)
        root = None
        if rng.random() < 0.8:
            duration = rng.choice((rng.uniform(1, 300), -rng.uniform(1, 5)))
            root = trace.request(start=start, duration=duration, workflow="checkout")
        for _ in range(rng.randint(0, 6)):
            duration = rng.choice((rng.uniform(0, 40), 5.0, -rng.uniform(0, 3)))
            trace.query(root, rng.choice(STATEMENTS), start=start + 1, duration=duration)
        traces.append(trace)
    return dataset(spans_of(traces))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6))
def test_derived_columns_match_their_definitions(seed: int) -> None:
    ds = _dataset(seed)
    durations = [max(e - s, 0) for s, e in zip(ds.db_start, ds.db_end, strict=True)]
    assert list(ds.db_durations) == durations
    entries = [ds.group_entry[group] for group in ds.db_group]
    assert list(ds.db_entries) == entries
    assert durations_ns(ds.entries) == [entry.duration_ns for entry in ds.entries]
    counts, total_ns = [0] * len(ds.entries), [0] * len(ds.entries)
    for entry, duration in zip(entries, durations, strict=True):
        if entry != NO_ENTRY:
            counts[entry] += 1
            total_ns[entry] += duration
    assert ds.db_per_entry == (counts, total_ns)
    values = [random.Random(seed).randint(-5, 5) for _ in range(ds.db_count)]
    groups = range(ds.group_count)
    assert list(ds.group_sizes()) == [ds.db_group.count(group) for group in groups]
    assert list(ds.group_sums(values)) == [
        sum(v for v, g in zip(values, ds.db_group, strict=True) if g == group) for group in groups
    ]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    samples=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 19)), max_size=200),
    count=st.integers(0, 5),
)
@example(samples=[(6, 5), (6, 3), (6, 2), (6, 1), (6, 0)], count=1)  # trace 0's id is smallest
def test_the_slowest_samples_pick_what_all_samples_pick(
    samples: list[tuple[int, int]], count: int
) -> None:
    """Few distinct durations and traces: ties at the cut are the usual case here."""
    # Trace ids whose order is not their index's: ties are broken by id.
    ds = dataclasses.replace(_dataset(0), trace_ids=tuple(f"{n:032x}"[::-1] for n in range(20)))
    durations = [duration for duration, _ in samples]
    traces = [trace for _, trace in samples]
    assert slowest_examples(ds, durations, traces, count) == examples(ds, samples, count)
