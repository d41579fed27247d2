"""Merging one :class:`~.builder.DatasetBuilder` into another, as the parent of the parallel
read does with each worker's builder, in input order.

A span key is ``(trace index << 64) | span id bits``; the merged-in builder's trace and string
indexes are remapped to the target's. A span whose trace already has a span with its id in the
target is a duplicate: it is dropped, so the result is the one a single builder reading the
same input in order would hold (the first copy read is kept). One difference remains: a
dropped copy's SQL text may still serve as its fingerprint's sample statement.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, NamedTuple

from e2e_otel.analyzers.dataset import Entry, FingerprintInfo

if TYPE_CHECKING:
    from e2e_otel.analyzers.builder import DatasetBuilder

MASK: Final = (1 << 64) - 1


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


def merge_into(target: DatasetBuilder, other: DatasetBuilder) -> list[Duplicate]:
    """Fold ``other`` into ``target``; returns the spans of ``other`` dropped as duplicates
    (in ``other``'s add order when it was built with ``track``)."""
    if other.start_ns is not None:
        target.start_ns = min(t for t in (target.start_ns, other.start_ns) if t is not None)
    if other.end_ns is not None:
        target.end_ns = max(t for t in (target.end_ns, other.end_ns) if t is not None)
    strings = [target._intern(text) for text in other.strings]
    # Duplicates can only be in traces both builders have: usually a few at range edges.
    shared = {index for index, trace_id in enumerate(other.traces) if trace_id in target.traces}
    traces = [target._trace(trace_id) for trace_id in other.traces]

    def rekey(key: int) -> int:
        return (traces[key >> 64] << 64) | (key & MASK)

    drop = _duplicate_keys(target, other, shared, rekey) if shared else set()
    target.spans += other.spans - len(drop)
    _merge_entries(target, other, drop, rekey, traces)
    links = other.links.items()  # rekey inlined in the loops over every span below
    target.links.update(
        ((traces[key >> 64] << 64) | (key & MASK), parent)
        for key, parent in links
        if key not in drop
    )
    _merge_db(target, other, drop, rekey, strings, traces)
    for fp, info in other.fingerprints.items():
        mine = target.fingerprints.get(strings[fp])
        target.fingerprints[strings[fp]] = info if mine is None else longer(mine, info.sample)
    return _located(other, drop, shared)


def _duplicate_keys(
    target: DatasetBuilder, other: DatasetBuilder, shared: set[int], rekey: Callable[[int], int]
) -> set[int]:
    def known(key: int) -> bool:
        mine = rekey(key)
        return mine in target.entry_keys or mine in target.links or mine in target.db_keys

    return {
        key
        for keys in (other.entry_keys, other.links, other.db_keys)
        for key in keys
        if key >> 64 in shared and known(key)
    }


def _merge_entries(
    target: DatasetBuilder,
    other: DatasetBuilder,
    drop: set[int],
    rekey: Callable[[int], int],
    traces: Sequence[int],
) -> None:
    intern = sys.intern

    def moved(entry: Entry) -> Entry:  # positional: _replace is twice as slow
        (trace, kind, service, method, route, workflow, workflow_id, layer, category, *_) = entry
        return Entry(
            traces[trace],
            intern(kind),
            intern(service),
            intern(method),
            intern(route),
            intern(workflow),
            workflow_id,
            intern(layer),
            intern(category),
            entry.status_code,
            entry.error,
            entry.start_ns,
            entry.end_ns,
        )

    dropped = {other.entry_keys[key] for key in drop if key in other.entry_keys}
    renumbered: dict[int, int] = {}
    for index, entry in enumerate(other.entries):
        if index not in dropped:
            renumbered[index] = len(target.entries)
            target.entries.append(moved(entry))
    for key, index in other.entry_keys.items():
        if key not in drop:
            target.entry_keys[rekey(key)] = renumbered[index]
    for entry, key in zip(other.frontend, other.frontend_keys, strict=True):
        if key not in drop:
            target.frontend.append(moved(entry))
            target.frontend_keys.append(rekey(key))
    for span in other.browser:
        if (span.trace << 64) | span.span not in drop:
            target.browser.append(span._replace(trace=traces[span.trace]))


def _merge_db(
    target: DatasetBuilder,
    other: DatasetBuilder,
    drop: set[int],
    rekey: Callable[[int], int],
    strings: Sequence[int],
    traces: Sequence[int],
) -> None:
    group_keys = list(other.groups)  # dicts keep insertion order: group_keys[group index]
    kept: Sequence[int] = range(len(other.db_group))
    if drop:
        kept = [
            p
            for p in kept
            if (group_keys[other.db_group[p]] >> 64 << 64) | other.db_span[p] not in drop
        ]

    def pick(values: array[int]) -> array[int] | list[int]:
        return values if not drop else [values[p] for p in kept]

    # Groups are numbered as a single builder would: in the order of their first kept span.
    # (List comprehensions, not generators: array.extend is then one C loop.)
    groups = dict.fromkeys(pick(other.db_group), 0)  # in order of first appearance
    for group in groups:
        groups[group] = target._group(rekey(group_keys[group]))
    target.db_group.extend([groups[group] for group in pick(other.db_group)])
    target.db_fp.extend([strings[fp] for fp in pick(other.db_fp)])
    target.db_category.extend([strings[category] for category in pick(other.db_category)])
    target.db_workflow.extend([strings[workflow] for workflow in pick(other.db_workflow)])
    target.db_start.extend(pick(other.db_start))
    target.db_end.extend(pick(other.db_end))
    target.db_span.extend(pick(other.db_span))
    target.db_keys.update(
        (traces[key >> 64] << 64) | (key & MASK) for key in other.db_keys if key not in drop
    )


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
