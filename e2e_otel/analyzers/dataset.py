"""The compact, read-only dataset every file analyzer reads (built by :mod:`.builder`).

A million spans must fit in well under a gigabyte, so no span object survives ingestion:

- request *entries* (server/consumer spans) and frontend spans are small named tuples of
  interned strings and ints; there are few of them (one per request);
- database spans, the bulk, are columns of ``array`` values (8 bytes or less each), with the
  fingerprint id, error category and workflow as indexes into one string table;
- database spans are grouped by their parent span ("group"): ``order`` lists them sorted by
  group, then start time, and ``group_bounds`` delimits each group, which is what the N+1 and
  parallel-query rules walk; ``group_entry`` attributes each group to its request entry (the
  nearest server span up the parent chain), or -1.

Durations are integer nanoseconds, so sums are exact and a report does not depend on the
order spans arrived in.
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate
from operator import attrgetter
from typing import NamedTuple

from e2e_otel.analyzers.frontend_spans import BrowserSpan
from e2e_otel.sources.models import SamplingMark

NO_ENTRY = -1


class Entry(NamedTuple):
    """A request entry span (server/consumer kind), or a frontend span in ``Dataset.frontend``.
    Empty strings and 0 stand for "not recorded"."""

    trace: int  # index into Dataset.trace_ids
    kind: str  # span kind: server, consumer; any but client for frontend spans
    service: str
    method: str
    route: str  # http.route, else the span name
    workflow: str
    workflow_id: str
    layer: str
    category: str  # e2e.error.category
    status_code: int  # http.response.status_code / http.status_code
    error: bool  # span status ERROR: what the pipeline counts as a failed request
    start_ns: int
    end_ns: int

    @property
    def duration_ns(self) -> int:
        duration = self.end_ns - self.start_ns  # no max(): read for every entry by five rules
        return duration if duration > 0 else 0

    @property
    def endpoint(self) -> tuple[str, str, str]:
        return (self.service, self.method, self.route)


_START, _END = attrgetter("start_ns"), attrgetter("end_ns")


def durations_ns(entries: Sequence[Entry]) -> list[int]:
    """``Entry.duration_ns`` of each of ``entries``, in C loops (``map`` over the fields):
    a fifth of the time of reading the property for 200k requests."""
    return _elapsed(map(_END, entries), map(_START, entries))


def _elapsed(ends: Iterable[int], starts: Iterable[int]) -> list[int]:
    """``end - start`` of each pair, 0 when negative (a span that ends before it starts)."""
    durations = list(map(operator.sub, ends, starts))
    if durations and min(durations) < 0:
        durations = [d if d > 0 else 0 for d in durations]
    return durations


class FingerprintInfo(NamedTuple):
    text: str  # e2e.db.fingerprint
    # The longest db.statement/db.query.text seen for it (literal-free unless raw SQL is kept):
    # it shows what the fingerprint collapses, such as the size of an IN list.
    sample: str


@dataclass(frozen=True, eq=False)
class Dataset:
    strings: tuple[str, ...]  # interned strings of the database columns; 0 is ""
    trace_ids: tuple[str, ...]
    entries: tuple[Entry, ...]
    frontend: tuple[Entry, ...]
    # Database spans, one position per span.
    db_group: array[int]
    db_start: array[int]
    db_end: array[int]
    db_fp: array[int]  # fingerprint id, as a string index
    db_category: array[int]  # string index, 0 = no error
    db_workflow: array[int]  # the span's own e2e.workflow.type, string index
    # Groups (database spans sharing a parent span).
    group_trace: array[int]
    group_entry: array[int]  # index into entries, or NO_ENTRY
    order: array[int]  # database span positions sorted by (group, start, end, span id)
    group_bounds: array[int]  # group g is order[group_bounds[g]:group_bounds[g + 1]]
    fingerprints: Mapping[int, FingerprintInfo]  # by fingerprint id string index
    spans: int
    start_ns: int | None
    end_ns: int | None
    # Every frontend span with what the frontend rules read (fetch URL, component, vital).
    browser: tuple[BrowserSpan, ...] = ()
    # Spans per sampling-tier mark on their resource (empty: no span was marked as sampled).
    sampled: Mapping[SamplingMark, int] = field(default_factory=dict)

    @property
    def db_count(self) -> int:
        return len(self.db_start)

    @property
    def group_count(self) -> int:
        return len(self.group_trace)

    def text(self, index: int) -> str:
        return self.strings[index]

    def fingerprint_text(self, fp: int) -> str:
        """The fingerprint of fingerprint id ``fp`` (its id when the text was not recorded)."""
        info = self.fingerprints.get(fp)
        return info.text if info and info.text else self.strings[fp]

    def db_duration_ns(self, position: int) -> int:
        return self.db_durations[position]

    @cached_property
    def db_durations(self) -> array[int]:
        """Duration in ns of every database span (0 for a span that ends before it starts).
        (``map`` over the columns: the loop runs in C, 20 ms for a million spans.)"""
        return array("q", _elapsed(self.db_end, self.db_start))

    @cached_property
    def db_entries(self) -> array[int]:
        """The request entry of every database span, or NO_ENTRY."""
        return array("i", map(self.group_entry.__getitem__, self.db_group))

    def groups(self) -> Iterator[tuple[int, array[int]]]:
        """Each group with its database span positions in start order."""
        bounds, order = self.group_bounds, self.order
        for group in range(self.group_count):
            yield group, order[bounds[group] : bounds[group + 1]]

    def db_entry(self, position: int) -> int:
        """The request entry a database span belongs to, or NO_ENTRY."""
        return self.group_entry[self.db_group[position]]

    @cached_property
    def db_per_entry(self) -> tuple[list[int], list[int]]:
        """(number of database spans, their summed duration in ns) per entry: summed per
        group from running totals over ``order`` (C loops), then per entry."""
        counts = [0] * len(self.entries)
        total_ns = [0] * len(self.entries)
        group_ns = self.group_sums(self.db_durations)
        for entry, n, ns in zip(self.group_entry, self.group_sizes(), group_ns, strict=True):
            if entry != NO_ENTRY:
                counts[entry] += n
                total_ns[entry] += ns
        return counts, total_ns

    def group_sizes(self) -> Iterator[int]:
        """The number of database spans of each group, in group order."""
        bounds = self.group_bounds
        return map(operator.sub, bounds[1:], bounds)

    def group_sums(self, values: Sequence[int]) -> Iterator[int]:
        """Per group, in group order, the sum of ``values`` (one per database span) over its
        spans: running totals along ``order``, differenced at the group bounds (C loops)."""
        running = list(accumulate(map(values.__getitem__, self.order), initial=0))
        bounds = self.group_bounds
        return map(
            operator.sub, map(running.__getitem__, bounds[1:]), map(running.__getitem__, bounds)
        )

    def warm(self) -> None:
        """Compute the cached columns several rules read, so that processes forked after this
        share them instead of each computing its own."""
        for name in ("db_durations", "db_entries", "db_per_entry"):
            getattr(self, name)
