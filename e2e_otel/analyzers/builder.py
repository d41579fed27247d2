"""Fold a stream of :class:`SpanRecord` into a :class:`Dataset`, keeping only what analyzers read.

Spans may arrive in any order and from any file, so a database span's request is resolved at
the end: every span that is neither a database span nor a request entry is remembered only as
a link to its parent (two ints), and ``finish`` walks each parent chain up to the nearest
entry. Builders are picklable and mergeable, so worker processes can each fold part of the
input and the parent merges the pieces (see :mod:`.ingest`).
"""

from __future__ import annotations

import hashlib
import re
import struct
import sys
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import accumulate, compress, repeat
from operator import eq, or_, rshift

from e2e_otel import attributes as attr
from e2e_otel.analyzers.builder_merge import MASK as _MASK
from e2e_otel.analyzers.builder_merge import Duplicate, longer, merge_into
from e2e_otel.analyzers.dataset import NO_ENTRY, Dataset, Entry, FingerprintInfo
from e2e_otel.analyzers.error_fallback import fallback_category
from e2e_otel.analyzers.frontend_spans import BrowserSpan, browser_span
from e2e_otel.sources.models import AttributeValue, SamplingMark, SpanEvent, SpanRecord
from e2e_otel.sql.fingerprint import fingerprint, fingerprint_id

_FINGERPRINT_ID = re.compile(r"[0-9a-f]{16}")
_STATEMENT = attr.DB_STATEMENT_KEYS[0]

ENTRY_KINDS = frozenset({"server", "consumer"})
# A parent chain longer than this is a cycle in broken input, not a real trace.
_MAX_DEPTH = 256
# A database span's sort key: group, start, end, span id (all unsigned), big-endian.
_SORT_KEY = struct.Struct(">IQQQ")


def span_key(trace: int, span_id: str) -> int:
    """(trace index, 64-bit span id) packed into one int: a compact dict key."""
    return (trace << 64) | _span_bits(span_id)


def _span_bits(span_id: str) -> int:
    """A span id as a non-zero 64-bit int (0 means "no parent")."""
    try:
        value = int(span_id, 16) if len(span_id) <= 16 else -1
    except ValueError:
        value = -1
    if value < 0:  # not hex of at most 16 chars: any stable 64-bit value will do
        value = int.from_bytes(hashlib.blake2b(span_id.encode(), digest_size=8).digest(), "big")
    return value or 1


# The builder's lists of named tuples, pickled (from a worker to the parent) as columns of
# plain values, the rows rebuilt in C when unpickled: a worker's builder of ~32k spans pickles
# in ~9 ms instead of ~16 (a named tuple row pickles through its class); unpickling costs the
# same.
_ROW_LISTS: tuple[tuple[str, type[Entry] | type[BrowserSpan]], ...] = (
    ("entries", Entry),
    ("frontend", Entry),
    ("browser", BrowserSpan),
)


# Fingerprint ids known to be ours: a few hundred distinct ones make millions of spans.
_OURS: set[str] = set()
_OURS_MAX = 65536


def _ours(fp_id: str) -> bool:
    if _FINGERPRINT_ID.fullmatch(fp_id) is None:
        return False
    if len(_OURS) < _OURS_MAX:
        _OURS.add(fp_id)
    return True


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


NO_ROUTE = "(no route)"


def _unrouted(attributes: Mapping[str, AttributeValue], method: object, name: str) -> str:
    """The route of a request without ``http.route``: its span name, unless that is only the
    HTTP method (``GET``, ``HTTP GET``: Node's http on a 404) or the method and the raw path
    (``GET /nope``: Flask on a 404), which would make the method the route or each URL an
    endpoint; those are one endpoint, ``(no route)``."""
    if not isinstance(method, str) or not method:
        return name
    if name in (method, f"HTTP {method}"):
        return NO_ROUTE
    if name.startswith(f"{method} "):
        path = attributes.get("url.path") or attributes.get("http.target")
        if isinstance(path, str) and name[len(method) + 1 :] == path.partition("?")[0]:
            return NO_ROUTE
    return name


class DatasetBuilder:
    """Accumulates spans (``add``) or other builders (``merge``); ``finish`` makes the dataset."""

    def __init__(self, track: bool = False) -> None:
        """``track``: also record the key of each span added, in order, so that a span a
        later :meth:`merge` drops as a duplicate can be located (see :mod:`.ingest`)."""
        self.spans = 0
        self.start_ns: int | None = None
        self.end_ns: int | None = None
        self.strings: dict[str, int] = {"": 0}
        self.traces: dict[str, int] = {}
        self.entries: list[Entry] = []
        self.frontend: list[Entry] = []
        self.frontend_keys: list[int] = []  # span key of each frontend entry
        self.browser: list[BrowserSpan] = []  # every frontend span, client ones too
        self.entry_keys: dict[int, int] = {}
        self.links: dict[int, int] = {}  # span key -> parent span id (0 = root)
        self.groups: dict[int, int] = {}  # parent span key -> group index
        self.fingerprints: dict[int, FingerprintInfo] = {}
        self.db_group, self.db_fp = array("i"), array("i")
        self.db_category, self.db_workflow = array("i"), array("i")
        self.db_start, self.db_end, self.db_span = array("q"), array("q"), array("Q")
        self.db_keys: set[int] = set()  # span keys of the database spans, to find duplicates
        self.sampled: dict[SamplingMark, int] = {}  # spans per sampling-tier mark
        # With track: (trace index, span id bits) of each span added, in order.
        self.added_trace: array[int] | None = array("I") if track else None
        self.added_span: array[int] | None = array("Q") if track else None

    def __getstate__(self) -> dict[str, object]:
        state = dict(vars(self))
        for name, _ in _ROW_LISTS:
            state[name] = tuple(zip(*state[name], strict=True))
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        for name, cls in _ROW_LISTS:
            columns = state[name]
            assert isinstance(columns, tuple)
            state[name] = list(map(tuple.__new__, repeat(cls), zip(*columns, strict=True)))
        vars(self).update(state)

    def _intern(self, text: str) -> int:
        index = self.strings.get(text)
        if index is None:
            index = self.strings[text] = len(self.strings)
        return index

    def _trace(self, trace_id: str) -> int:
        index = self.traces.get(trace_id)
        if index is None:
            index = self.traces[trace_id] = len(self.traces)
        return index

    def _group(self, parent_key: int) -> int:
        index = self.groups.get(parent_key)
        if index is None:
            index = self.groups[parent_key] = len(self.groups)
        return index

    def add(self, span: SpanRecord) -> bool:
        """Fold ``span`` in; False, and nothing folded, when its trace already has a span with
        its id (the first copy read is kept). Duplicates still widen the time window: the
        window then does not depend on which copy came first, in one builder or merged."""
        return self.add_fields(
            span.trace_id,
            span.span_id,
            span.parent_span_id,
            span.name,
            span.kind,
            span.start_ns,
            span.end_ns,
            span.status,
            span.attributes,
            span.service_name,
            span.scope_name,
            span.events,
            span.sampling,
        )

    def add_fields(
        self,
        trace_id: str,
        span_id: str,
        parent_span_id: str | None,
        name: str,
        kind: str,
        start: int,
        end: int,
        status: str,
        attributes: Mapping[str, AttributeValue],
        service_name: str,
        scope_name: str,
        events: tuple[SpanEvent, ...] = (),
        sampling: SamplingMark | None = None,
    ) -> bool:
        """:meth:`add` for a span given as the fields of a :class:`SampledSpanRecord`, in its
        order: the file path's fast reader folds its spans without building a record first
        (1.4 µs a span). The common cases of the helpers are inlined: this runs per span."""
        if self.start_ns is None or start < self.start_ns:
            self.start_ns = start
        if self.end_ns is None or end > self.end_ns:
            self.end_ns = end
        traces = self.traces
        trace = traces.get(trace_id)
        if trace is None:
            trace = traces[trace_id] = len(traces)
        bits = _span_bits(span_id)
        key = (trace << 64) | bits
        if key in self.entry_keys or key in self.links or key in self.db_keys:
            return False
        self.spans += 1
        if sampling is not None:
            self.sampled[sampling] = self.sampled.get(sampling, 0) + 1
        if self.added_trace is not None and self.added_span is not None:
            self.added_trace.append(trace)
            self.added_span.append(bits)
        parent = (trace << 64) | _span_bits(parent_span_id) if parent_span_id else trace << 64
        get = attributes.get
        fp_id = get(attr.DB_FINGERPRINT_ID)
        if fp_id.__class__ is str and fp_id in _OURS:  # the usual database span
            statement = get(_STATEMENT)  # what db_statement() returns when it is a text
            if statement.__class__ is not str or not statement:
                statement = attr.db_statement(attributes)
        else:
            if fp_id.__class__ is str and not _ours(fp_id):
                fp_id = None  # not one of ours (16 lowercase hex): the report could not show it
            statement = attr.db_statement(attributes)
            if fp_id.__class__ is not str and statement is not None:
                # Exported without our enrichment (another exporter): fingerprint it here.
                fp_id = fingerprint_id(statement)
        if isinstance(fp_id, str):
            self._add_db(attributes, fp_id, statement, start, end, key, parent)
            if status == "error" and attr.ERROR_CATEGORY not in attributes:
                self.db_category[-1] = self._intern(fallback_category(events, "client", 0, True))
            return True
        layer = _str(get(attr.LAYER))
        frontend = layer == attr.LAYER_FRONTEND
        if frontend:
            ids = (trace, bits, parent & _MASK)
            span = browser_span(attributes, name, kind, service_name, start, end, ids)
            self.browser.append(span)
        entry_kind = kind in ENTRY_KINDS
        if entry_kind or frontend:
            entry = self._entry(
                attributes, trace, layer, kind, service_name, name, status, start, end, events
            )
            if frontend and kind != "client":
                self.frontend.append(entry)
                self.frontend_keys.append(key)
            if entry_kind:
                self.entry_keys[key] = len(self.entries)
                self.entries.append(entry)
                return True
        self.links[key] = parent & _MASK
        return True

    def _add_db(
        self,
        attributes: Mapping[str, AttributeValue],
        fp_id: str,
        statement: str | None,
        start: int,
        end: int,
        key: int,
        parent: int,
    ) -> None:
        strings = self.strings
        fp = strings.get(fp_id)
        if fp is None:
            fp = self._intern(fp_id)
        if statement is not None:
            known = self.fingerprints.get(fp)
            if known is None:
                text = attributes.get(attr.DB_FINGERPRINT)
                text = text if isinstance(text, str) else fingerprint(statement)
                self.fingerprints[fp] = FingerprintInfo(text, statement)
            elif len(statement) >= len(known.sample) and statement != known.sample:
                self.fingerprints[fp] = longer(known, statement)
        elif fp not in self.fingerprints:
            self.fingerprints[fp] = FingerprintInfo(_str(attributes.get(attr.DB_FINGERPRINT)), "")
        group = self.groups.get(parent)
        self.db_group.append(self._group(parent) if group is None else group)
        self.db_fp.append(fp)
        category = attributes.get(attr.ERROR_CATEGORY)
        index = strings.get(category) if type(category) is str else 0  # the common cases inline
        self.db_category.append(self._intern(_str(category)) if index is None else index)
        workflow = attributes.get(attr.WORKFLOW_TYPE)
        index = strings.get(workflow) if type(workflow) is str else 0
        self.db_workflow.append(self._intern(_str(workflow)) if index is None else index)
        self.db_start.append(start)
        self.db_end.append(end)
        self.db_span.append(key & _MASK)
        self.db_keys.add(key)

    def _entry(
        self,
        attributes: Mapping[str, AttributeValue],
        trace: int,
        layer: str,
        kind: str,
        service_name: str,
        name: str,
        status: str,
        start: int,
        end: int,
        events: tuple[SpanEvent, ...] = (),
    ) -> Entry:
        get, intern = attributes.get, sys.intern
        method = get("http.request.method") or get("http.method")
        route = get(attr.HTTP_ROUTE)
        workflow, workflow_id = get(attr.WORKFLOW_TYPE), get(attr.WORKFLOW_ID)
        category = get(attr.ERROR_CATEGORY)
        code = get(attr.HTTP_STATUS_KEYS[0])  # the usual cases inline, else the full rule
        if code is None:
            code = get(attr.HTTP_STATUS_KEYS[1])
        if code.__class__ is not int:
            code = attr.http_status_code(attributes) or 0
        if category is None and (status == "error" or code >= 400):
            # Failed, exported without our enrichment (another distro): categorized here.
            category = fallback_category(events, kind, code, status == "error")
        # Built as a plain tuple, by position (a call by keyword costs 0.6 µs more).
        return tuple.__new__(
            Entry,
            (
                trace,
                intern(kind),
                intern(service_name),
                intern(method if isinstance(method, str) else ""),
                intern(
                    route
                    if isinstance(route, str) and route
                    else _unrouted(attributes, method, name)
                ),
                intern(workflow if isinstance(workflow, str) else ""),
                workflow_id if isinstance(workflow_id, str) else "",
                intern(layer),
                intern(category if isinstance(category, str) else ""),
                code,
                status == "error",
                start,
                end,
            ),
        )

    def merge(self, other: DatasetBuilder) -> list[Duplicate]:
        """Add everything ``other`` folded (its indexes are remapped to this builder's), except
        its spans whose trace already has a span with their id here: those are dropped and
        returned, as :meth:`add` would have refused them had it read them last."""
        for mark, count in other.sampled.items():  # duplicates dropped below stay counted
            self.sampled[mark] = self.sampled.get(mark, 0) + count
        return merge_into(self, other)

    def finish(self) -> Dataset:
        """The dataset. This runs alone after the parallel read, so the work over every span
        or group is done in C where it can be (0.55 → 0.4 s for a million spans)."""
        return Dataset(
            strings=tuple(self.strings),
            trace_ids=tuple(self.traces),
            entries=tuple(self.entries),
            frontend=tuple(self.frontend),
            db_group=self.db_group,
            db_start=self.db_start,
            db_end=self.db_end,
            db_fp=self.db_fp,
            db_category=self.db_category,
            db_workflow=self.db_workflow,
            group_trace=array("i", map(rshift, self.groups, repeat(64))),
            group_entry=self._resolve_groups(),
            order=self._order(),
            group_bounds=_bounds(self.db_group, len(self.groups)),
            fingerprints=dict(self.fingerprints),
            spans=self.spans,
            start_ns=self.start_ns,
            end_ns=self.end_ns,
            browser=tuple(self.browser),
            sampled={mark: min(n, self.spans) for mark, n in self.sampled.items()},
        )

    def _order(self) -> array[int]:
        """Database span positions sorted by (group, start, end, span id)."""
        columns = (self.db_group, self.db_start, self.db_end, self.db_span)
        keys: list[bytes] | list[int]
        try:
            # One key per span, built in C: the four numbers big-endian, whose bytes compare
            # as the numbers do (125 ms a million spans, against 155 for a packed int built
            # in a comprehension; about as much memory).
            keys = list(map(_SORT_KEY.pack, *columns))
        except struct.error:  # a negative time (unsigned fields): packed as it always was
            keys = [
                (group << 192) | (start << 128) | (end << 64) | span
                for group, start, end, span in zip(*columns, strict=True)
            ]
        return array("i", sorted(range(len(keys)), key=keys.__getitem__))

    def _resolve_groups(self) -> array[int]:
        """The nearest entry up each group's parent chain (NO_ENTRY when there is none)."""
        keys = list(self.groups)  # dicts keep insertion order: keys[group index]
        # Most groups' parent is the entry itself (3 in 4 on the benchmark): those are looked
        # up in one C-level pass, and only the others walk up the links one by one.
        resolved = array("i", map(self.entry_keys.get, keys, repeat(NO_ENTRY)))
        unresolved = list(compress(range(len(keys)), map(eq, resolved, repeat(NO_ENTRY))))
        waiting: dict[int, int] = {}  # group -> the unknown ancestor its chain stopped at
        for group in unresolved:
            resolved[group], unknown = self._walk(keys[group])
            if unknown is not None:
                waiting[group] = unknown
        if not waiting:
            return resolved
        # An unknown ancestor may be a database span (a driver span inside an ORM span): find
        # the groups of those and continue from there.
        owner = self._db_groups(set(waiting.values()))
        for group in waiting:
            current = group
            for _ in range(_MAX_DEPTH):
                unknown = waiting.get(current)
                if unknown is None:
                    resolved[group] = resolved[current]
                    break
                if unknown not in owner:
                    break
                current = owner[unknown]
        return resolved

    def _db_groups(self, keys: set[int]) -> dict[int, int]:
        """The group of each database span among span ``keys`` (the others are left out)."""
        wanted = keys & self.db_keys  # usually none: then no pass over the database spans
        if not wanted:
            return {}
        trace_bits = [key >> 64 << 64 for key in self.groups]
        span_keys = map(or_, map(trace_bits.__getitem__, self.db_group), self.db_span)
        found = compress(range(len(self.db_span)), map(wanted.__contains__, span_keys))
        return {(trace_bits[self.db_group[p]] | self.db_span[p]): self.db_group[p] for p in found}

    def _walk(self, key: int) -> tuple[int, int | None]:
        """Follow links from ``key``: (entry, None), (NO_ENTRY, None) at a root, or
        (NO_ENTRY, key) when an ancestor is missing from the links."""
        trace_bits = key >> 64 << 64
        for _ in range(_MAX_DEPTH):
            entry = self.entry_keys.get(key)
            if entry is not None:
                return entry, None
            parent = self.links.get(key)
            if parent is None:
                return NO_ENTRY, key if key & _MASK else None
            if parent == 0:
                return NO_ENTRY, None
            key = trace_bits | parent
        return NO_ENTRY, None


def _bounds(db_group: array[int], groups: int) -> array[int]:
    """Where each group's spans start in the order sorted by group, and the end: the running
    sum of the group sizes, counted by ``Counter`` in C (a Python loop took 70 ms a million
    spans)."""
    sizes = Counter(db_group)
    return array("i", accumulate(map(sizes.__getitem__, range(groups)), initial=0))


def build_dataset(spans: Iterable[SpanRecord]) -> Dataset:
    """The dataset of a stream of spans (in any order)."""
    builder = DatasetBuilder()
    for span in spans:
        builder.add(span)
    return builder.finish()
