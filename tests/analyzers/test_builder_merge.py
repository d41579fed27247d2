"""Merging builders and finishing the dataset: the column-wise code paths against the plain
definitions they replace (one builder reading everything in order; the packed sort key)."""

from __future__ import annotations

import dataclasses
import pickle
import random
from array import array
from dataclasses import replace

import pytest

from e2e_otel.analyzers.builder import DatasetBuilder
from e2e_otel.analyzers.builder_merge import _strings_remapped
from e2e_otel.analyzers.dataset import Dataset, Entry
from e2e_otel.sources.models import SpanRecord
from tests.analyzers.conftest import Trace


def _statements(count: int) -> list[str]:
    return [f"SELECT `t{i}`.`id` FROM `t{i}` WHERE `t{i}`.`id` = %s" for i in range(count)]


def _trace(rng: random.Random, statements: list[str]) -> list[SpanRecord]:
    """A request with queries under it, under middle spans and under other queries (a driver
    span in an ORM span), starting at a few shared instants (ties to order by end, span id);
    sometimes under a page, sometimes missing a middle span (a chain to an unknown parent)."""
    trace = Trace()
    page = trace.page("/products", duration=50) if rng.random() < 0.3 else None
    server = trace.request(rng.choice(["api/a/", "api/b/"]), parent=page)
    parents: list[SpanRecord] = [server]
    queries: list[SpanRecord] = []
    middles: list[SpanRecord] = []
    for _ in range(rng.randrange(12)):
        start, duration = rng.choice([0.5, 1.0, 1.5]), rng.choice([1.0, 2.0])
        roll = rng.random()
        if roll < 0.2:
            middles.append(trace.internal(rng.choice(parents), "mid", start=start, duration=9))
            parents.append(middles[-1])
        elif roll < 0.3 and queries:
            query = trace.query(
                rng.choice(queries), rng.choice(statements), start=start, duration=1
            )
            queries.append(query)
        else:
            category = rng.choice([None, None, "db_timeout", f"cat{rng.randrange(300)}"])
            statement = rng.choice(statements)
            parent = rng.choice(parents)
            queries.append(
                trace.query(parent, statement, start=start, duration=duration, category=category)
            )
    missing = {middle.span_id for middle in middles if rng.random() < 0.2}
    return [span for span in trace.spans if span.span_id not in missing]


def _spans(rng: random.Random, statements: int) -> list[SpanRecord]:
    """Traces read interleaved a little, with copies of some spans read again later."""
    texts = _statements(statements)
    spans = [span for _ in range(40) for span in _trace(rng, texts)]
    for i in range(0, len(spans) - 8, 8):
        window = spans[i : i + 8]
        rng.shuffle(window)
        spans[i : i + 8] = window
    for span in rng.sample(spans, len(spans) // 20):
        spans.insert(rng.randrange(len(spans) + 1), span)
    return spans


def _state(builder: DatasetBuilder) -> dict[str, object]:
    """Everything a builder holds, dict orders included (the added-span log left out)."""
    state: dict[str, object] = {}
    for name, value in vars(builder).items():
        if name in ("added_trace", "added_span"):
            continue
        if isinstance(value, dict):
            value = list(value.items())
        elif isinstance(value, set):
            value = sorted(value)
        elif isinstance(value, array):
            value = value.tolist()
        state[name] = value
    return state


def _fields(ds: Dataset) -> dict[str, object]:
    return {
        field.name: value.tolist() if isinstance(value, array) else value
        for field in dataclasses.fields(ds)
        for value in [getattr(ds, field.name)]
    }


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("statements", [3, 300])  # string indexes in a byte or not
def test_merged_builders_hold_what_one_builder_reading_everything_holds(
    seed: int, statements: int
) -> None:
    rng = random.Random(seed)
    spans = _spans(rng, statements)
    one = DatasetBuilder()
    for span in spans:
        one.add(span)
    cuts = sorted(rng.sample(range(1, len(spans)), rng.randrange(1, 6)))
    merged = DatasetBuilder()
    for start, end in zip([0, *cuts], [*cuts, len(spans)], strict=True):
        part = DatasetBuilder(track=rng.random() < 0.5)
        for span in spans[start:end]:
            part.add(span)
        merged.merge(pickle.loads(pickle.dumps(part)))
    assert _state(merged) == _state(one)
    assert all(type(entry) is Entry for entry in merged.entries + merged.frontend)
    assert _fields(merged.finish()) == _fields(one.finish())


def _packed_order(ds: Dataset, builder: DatasetBuilder) -> list[int]:
    """The order by the packed int key ``finish`` once built for every span."""
    keys = [
        (group << 192) | (start << 128) | (end << 64) | span
        for group, start, end, span in zip(
            ds.db_group, ds.db_start, ds.db_end, builder.db_span, strict=True
        )
    ]
    return sorted(range(len(keys)), key=keys.__getitem__)


@pytest.mark.parametrize("shift", [0, -(2 * 10**18), "end"])
def test_span_order_is_the_packed_keys_order_negative_times_too(shift: int | str) -> None:
    rng = random.Random(7)
    spans = _spans(rng, 3)
    if shift == "end":  # a span ending before the epoch: the packed key's order is odd, kept
        spans = [replace(s, end_ns=-s.end_ns) if rng.random() < 0.1 else s for s in spans]
    else:
        spans = [replace(s, start_ns=s.start_ns + int(shift)) for s in spans]
    builder = DatasetBuilder()
    for span in spans:
        builder.add(span)
    ds = builder.finish()
    assert ds.order.tolist() == _packed_order(ds, builder)


@pytest.mark.parametrize("size", [1, 5, 256, 257, 600])
def test_string_indexes_are_remapped_whichever_way(size: int) -> None:
    rng = random.Random(size)
    column = array("i", [0, size - 1, *(rng.randrange(size) for _ in range(2000))])
    identity = list(range(size))
    shuffled = [0, *rng.sample(range(1, size + 40), size - 1)]  # over 255 now and then
    shifted = [0, *range(2, size + 1)]  # over 255 from 256 strings on
    for strings in (identity, shuffled, shifted):
        remapped = array("i", _strings_remapped(column, strings))
        assert remapped.tolist() == [strings[i] for i in column]
