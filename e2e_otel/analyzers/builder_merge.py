"""Merging one :class:`~.builder.DatasetBuilder` into another, as the parent of the parallel
read does with each worker's builder, in input order.

A span key is ``(trace index << 64) | span id bits``; the merged-in builder's trace and string
indexes are remapped to the target's. A span whose trace already has a span with its id in the
target is a duplicate: it is dropped, so the result is the one a single builder reading the
same input in order would hold (the first copy read is kept). One difference remains: a
dropped copy's SQL text may still serve as its fingerprint's sample statement.

The parent merges while the workers still read, on the same cores, so the work over every key
is done a column at a time with C-level operations (``map`` of builtins, ``zip``,
``dict.update``) rather than a Python expression per key: the 32 merges of a million spans
take 0.7 s of CPU instead of 1.05 (1.2 instead of 1.75 beside the workers). The usual merge
shares a few traces (those cut by a chunk edge) and drops nothing; a merge that drops
duplicates filters every column first.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Collection, Iterable, Sequence
from itertools import compress, count, filterfalse, repeat
from operator import add, gt, rshift
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeVar

from e2e_otel.analyzers.dataset import Entry, FingerprintInfo
from e2e_otel.analyzers.frontend_spans import BrowserSpan

if TYPE_CHECKING:
    from e2e_otel.analyzers.builder import DatasetBuilder

MASK: Final = (1 << 64) - 1

# The string fields of an Entry that are interned (all but workflow_id), by position.
_ENTRY_INTERNED: Final = tuple(
    Entry._fields.index(name)
    for name in ("kind", "service", "method", "route", "workflow", "layer", "category")
)

_Row = TypeVar("_Row", Entry, BrowserSpan)
_T = TypeVar("_T")


class Duplicate(NamedTuple):
    """A span dropped because its trace already had a span with its id."""

    position: int  # in the order spans were added to their builder; -1 when not tracked
    trace_id: str
    span_bits: int  # the span id as the builder keys it (its 64 bits for a hex id)

    @property
    def reason(self) -> str:
        return duplicate_reason(self.trace_id, self.span_bits)


def duplicate_reason(trace_id: str, span_bits: int) -> str:
    """The problem text of a duplicate span, the same however it was found."""
    return (
        f"duplicate span skipped: span {span_bits:016x} of trace {trace_id} was already read "
        "(the first copy is kept)"
    )


class _Rekey:
    """Maps ``other``'s span keys to the target's trace numbering.

    ``key + deltas[key >> 64]``, with ``deltas[t]`` = (target index - own index of trace t)
    << 64, equals ``(traces[key >> 64] << 64) | (key & MASK)``; as three ``map`` passes over
    builtins it costs 90 ns a key against 125 for that expression in a comprehension.
    """

    def __init__(self, traces: Sequence[int]) -> None:
        self.deltas = [(mine - theirs) << 64 for theirs, mine in enumerate(traces)]

    def __call__(self, keys: Collection[int]) -> list[int]:
        """``keys`` is read twice: a dict, set or list, not an iterator."""
        return list(map(add, keys, map(self.deltas.__getitem__, map(rshift, keys, repeat(64)))))


def merge_into(target: DatasetBuilder, other: DatasetBuilder) -> list[Duplicate]:
    """Fold ``other`` into ``target``; returns the spans of ``other`` dropped as duplicates
    (in ``other``'s add order when it was built with ``track``)."""
    if other.start_ns is not None:
        target.start_ns = min(t for t in (target.start_ns, other.start_ns) if t is not None)
    if other.end_ns is not None:
        target.end_ns = max(t for t in (target.end_ns, other.end_ns) if t is not None)
    strings = [target._intern(text) for text in other.strings]
    before = len(target.traces)  # the target's trace indexes before the merge are below this
    traces, shared = _merge_traces(target, other)
    rekey = _Rekey(traces)
    entry_keys, link_keys, db_keys = (
        rekey(other.entry_keys),
        rekey(other.links),
        rekey(other.db_keys),
    )
    drop: set[int] = set()
    if shared:  # duplicates can only be in traces both builders have
        remapped = [(other.entry_keys, entry_keys), (other.links, link_keys)]
        drop = _duplicate_keys(target, [*remapped, (other.db_keys, db_keys)], before << 64)
    target.spans += other.spans - len(drop)
    _merge_entries(target, other, drop, traces, entry_keys)
    _merge_frontend(target, other, drop, traces, rekey)
    links, parents = _kept(drop, other.links, link_keys, other.links.values())
    target.links.update(zip(links, parents, strict=True))
    _merge_db(target, other, drop, rekey, strings)
    target.db_keys.update(*_kept(drop, other.db_keys, db_keys))
    for fp, info in other.fingerprints.items():
        mine = target.fingerprints.get(strings[fp])
        target.fingerprints[strings[fp]] = info if mine is None else longer(mine, info.sample)
    return _located(other, drop, shared)


def _merge_traces(target: DatasetBuilder, other: DatasetBuilder) -> tuple[list[int], set[int]]:
    """Adds ``other``'s new traces to ``target`` in ``other``'s order, as ``_trace`` would one
    by one; returns the target index of each of ``other``'s traces, and ``other``'s indexes of
    those ``target`` already had (usually a few, cut by a chunk edge)."""
    mine, theirs = target.traces, other.traces
    common = mine.keys() & theirs.keys()  # in C, iterating the smaller
    fresh = filterfalse(common.__contains__, theirs) if common else iter(theirs)
    mine.update(zip(fresh, count(len(mine))))
    return list(map(mine.__getitem__, theirs)), {theirs[trace_id] for trace_id in common}


def _duplicate_keys(
    target: DatasetBuilder, keys: Iterable[tuple[Iterable[int], Sequence[int]]], bound: int
) -> set[int]:
    """The keys of ``other``, from pairs (its keys, the same remapped), whose remapped key is
    already in ``target``. Only the traces both builders have can hold such keys, and their
    remapped keys are exactly those below ``bound`` (the target's trace count before the merge,
    << 64): those few are picked out in C, then looked up."""
    drop = set()
    for own, remapped in keys:
        below = list(map(gt, repeat(bound), remapped))
        for key, mine in zip(compress(own, below), compress(remapped, below), strict=True):
            if mine in target.entry_keys or mine in target.links or mine in target.db_keys:
                drop.add(key)
    return drop


def _kept(drop: set[int], keys: Iterable[int], *columns: Iterable[_T]) -> list[Iterable[_T]]:
    """``columns`` (parallel to ``keys``) without the positions whose key is in ``drop``."""
    if not drop:
        return list(columns)
    keep = [key not in drop for key in keys]
    return [compress(column, keep) for column in columns]


def _rebuilt(
    cls: type[_Row], rows: Iterable[_Row], traces: Sequence[int], interned: Iterable[int] = ()
) -> list[_Row]:
    """``rows``, named tuples whose first field is a trace index, with the trace remapped and
    the string fields at positions ``interned`` interned. Built a column at a time, at C speed:
    ``tuple.__new__(cls, values)`` makes the same named tuple as ``cls(*values)`` without
    calling its Python-level ``__new__`` (0.45 µs an entry, against 0.8 one at a time)."""
    columns: list[Iterable[Any]] = list(zip(*rows, strict=True))
    if not columns:
        return []
    columns[0] = map(traces.__getitem__, columns[0])
    for field in interned:
        columns[field] = map(sys.intern, columns[field])
    return list(map(tuple.__new__, repeat(cls), zip(*columns, strict=True)))


def _merge_entries(
    target: DatasetBuilder,
    other: DatasetBuilder,
    drop: set[int],
    traces: Sequence[int],
    remapped: Sequence[int],
) -> None:
    base = len(target.entries)
    if not drop:
        target.entries.extend(_rebuilt(Entry, other.entries, traces, _ENTRY_INTERNED))
        renumbered = map(add, other.entry_keys.values(), repeat(base))  # entry i: base + i
        target.entry_keys.update(zip(remapped, renumbered, strict=True))
        return
    dropped = {other.entry_keys[key] for key in drop if key in other.entry_keys}
    kept = [index not in dropped for index in range(len(other.entries))]
    position = dict(zip(compress(range(len(kept)), kept), count(base)))
    entries = compress(other.entries, kept)
    target.entries.extend(_rebuilt(Entry, entries, traces, _ENTRY_INTERNED))
    keys, indexes = _kept(drop, other.entry_keys, remapped, other.entry_keys.values())
    target.entry_keys.update(zip(keys, map(position.__getitem__, indexes), strict=True))


def _merge_frontend(
    target: DatasetBuilder,
    other: DatasetBuilder,
    drop: set[int],
    traces: Sequence[int],
    rekey: _Rekey,
) -> None:
    (frontend,) = _kept(drop, other.frontend_keys, other.frontend)
    target.frontend.extend(_rebuilt(Entry, frontend, traces, _ENTRY_INTERNED))
    (keys,) = _kept(drop, other.frontend_keys, other.frontend_keys)
    target.frontend_keys.extend(rekey(list(keys)))
    browser: Iterable[BrowserSpan] = other.browser
    if drop:
        browser = [span for span in browser if (span.trace << 64) | span.span not in drop]
    target.browser.extend(_rebuilt(BrowserSpan, browser, traces))


def _merge_db(
    target: DatasetBuilder,
    other: DatasetBuilder,
    drop: set[int],
    rekey: _Rekey,
    strings: Sequence[int],
) -> None:
    group_keys = list(other.groups)  # dicts keep insertion order: group_keys[group index]
    columns: Sequence[array[int]] = (
        other.db_group,
        other.db_fp,
        other.db_category,
        other.db_workflow,
        other.db_start,
        other.db_end,
        other.db_span,
    )
    if drop:
        keep = [
            (group_keys[group] >> 64 << 64) | span not in drop
            for group, span in zip(other.db_group, other.db_span, strict=True)
        ]
        columns = [array(column.typecode, compress(column, keep)) for column in columns]
    db_group, db_fp, db_category, db_workflow, db_start, db_end, db_span = columns
    # Groups are numbered as a single builder would: in the order of their first kept span.
    first_seen = list(dict.fromkeys(db_group))
    parents = rekey([group_keys[group] for group in first_seen])
    mine = dict(zip(first_seen, _add_groups(target, parents), strict=True))
    target.db_group.extend(map(mine.__getitem__, db_group))
    target.db_fp.extend(_strings_remapped(db_fp, strings))
    target.db_category.extend(_strings_remapped(db_category, strings))
    target.db_workflow.extend(_strings_remapped(db_workflow, strings))
    target.db_start.extend(db_start)
    target.db_end.extend(db_end)
    target.db_span.extend(db_span)


def _add_groups(target: DatasetBuilder, parents: Sequence[int]) -> list[int]:
    """The target's group of each parent span key (distinct keys), new ones added in order as
    ``_group`` would one by one."""
    groups = target.groups
    known = groups.keys() & parents  # only in traces both builders have: usually none
    fresh = filterfalse(known.__contains__, parents) if known else parents
    groups.update(zip(fresh, count(len(groups))))
    return list(map(groups.__getitem__, parents))


def _strings_remapped(column: array[int], strings: Sequence[int]) -> Iterable[int]:
    """``column`` of string indexes with each index ``i`` replaced by ``strings[i]``."""
    if strings == list(range(len(strings))):
        return column
    if len(strings) <= 256 and max(strings) < 256 and strings[0] == 0:
        # Every index and its replacement fit in a byte, and 0 ("") stays 0: replacing each
        # byte of the column's machine representation by its image then remaps the low byte
        # and leaves the zero bytes above it zero, whatever the byte order. bytes.translate
        # runs at memory speed, 1 ns a value against 50 for map + array.extend: 0.1 s a
        # million spans. (A few dozen strings is the usual: fingerprint ids, categories and
        # workflows.)
        table = bytes(strings) + bytes(256 - len(strings))
        return array(column.typecode, column.tobytes().translate(table))
    return map(strings.__getitem__, column)


def _located(other: DatasetBuilder, drop: set[int], shared: set[int]) -> list[Duplicate]:
    if not drop:
        return []
    trace_ids = list(other.traces)
    if other.added_trace is None or other.added_span is None:
        return [Duplicate(-1, trace_ids[key >> 64], key & MASK) for key in sorted(drop)]
    added = zip(other.added_trace, other.added_span, strict=True)
    return [
        Duplicate(position, trace_ids[trace], bits)
        for position, (trace, bits) in enumerate(added)
        if trace in shared and (trace << 64) | bits in drop
    ]


def longer(info: FingerprintInfo, statement: str) -> FingerprintInfo:
    """Keep the longest sample statement; on a tie the smaller one, so order does not matter."""
    current = info.sample
    if len(statement) > len(current) or (len(statement) == len(current) and statement < current):
        return info._replace(sample=statement)
    return info
