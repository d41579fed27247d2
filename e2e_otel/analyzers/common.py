"""Small helpers every file analyzer shares: percentiles, units, labels and examples."""

from __future__ import annotations

import heapq
import math
import operator
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from itertools import compress, repeat
from typing import TypeVar

from e2e_otel.analyzers.dataset import Dataset, Entry

Endpoint = tuple[str, str, str]  # (service, method, route)

# Categories a client causes (4xx); every other category is a fault on the server side.
CLIENT_CATEGORIES = frozenset(
    {"authentication", "auth_token_expired", "permission", "validation", "not_found", "throttled"}
)


def percentile(ordered: Sequence[int], q: float) -> int:
    """Nearest-rank percentile of ascending ``ordered`` (0 when empty): a value that occurred,
    and the same whatever order the samples arrived in."""
    if not ordered:
        return 0
    rank = max(math.ceil(q / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def ms(nanoseconds: float) -> float:
    """Nanoseconds as milliseconds, rounded to the microsecond."""
    return round(nanoseconds / 1e6, 3)


def pct(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def endpoint_label(endpoint: Endpoint) -> str:
    """``GET api/products/`` (the route alone when it already names the method)."""
    _, method, route = endpoint
    if not method or route.startswith(method + " "):
        return route
    return f"{method} {route}"


def endpoint_title(endpoint: Endpoint) -> str:
    """:func:`endpoint_label` with the route as a template (:func:`route_template`), to show
    it; ids and keys keep the recorded route, so they do not change with the display."""
    service, method, route = endpoint
    return endpoint_label((service, method, route_template(route)))


_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def route_template(route: str) -> str:
    """``api/children/{slug}/`` for the regex ``^api/children/(?P<slug>[^/.]+)/$`` that
    Django's ``re_path`` (and DRF's routers) record as ``http.route``, and for the converters
    of ``path()`` (``<int:pk>``); any other route is returned as it is."""
    if not ("(?P<" in route or route.startswith("^") or route.endswith("$")):
        return _CONVERTER.sub(lambda m: "{" + m.group(1) + "}", route)
    out, i = [], 0
    while i < len(route):
        named = _NAMED_GROUP.match(route, i)
        if named or route.startswith("(", i):
            end, depth = i, 0
            while end < len(route):  # the matching parenthesis, escapes skipped
                char = route[end]
                end += 2 if char == "\\" else 1
                depth += {"(": 1, ")": -1}.get(char, 0)
                if depth == 0:
                    break
            out.append("{" + (named.group(1) if named else "arg") + "}")
            i = end
        elif route.startswith("\\", i) and i + 1 < len(route):
            out.append(route[i + 1])
            i += 2
        else:
            out.append(route[i])
            i += 1
    text = "".join(out).removeprefix("^").removesuffix("$").removesuffix("\\Z")
    return _CONVERTER.sub(lambda m: "{" + m.group(1) + "}", text)


def examples(ds: Dataset, samples: Iterable[tuple[int, int]], count: int) -> tuple[str, ...]:
    """Trace ids of the ``count`` slowest (duration ns, trace index) samples, slowest first;
    ties by trace id, so the choice does not depend on input order."""
    best: dict[int, int] = {}
    get = best.get
    for duration, trace in samples:
        if duration > get(trace, -1):
            best[trace] = duration
    candidates: Iterable[tuple[int, int]] = best.items()
    if len(best) > count > 0:  # only traces as slow as the count-th slowest can be picked
        floor = heapq.nlargest(count, best.values())[-1]
        candidates = [(trace, duration) for trace, duration in candidates if duration >= floor]
    trace_ids = ds.trace_ids
    ranked = heapq.nsmallest(count, candidates, key=lambda kv: (-kv[1], trace_ids[kv[0]]))
    return tuple(trace_ids[trace] for trace, _ in ranked)


def slowest_examples(
    ds: Dataset, durations: Sequence[int], traces: Sequence[int], count: int
) -> tuple[str, ...]:
    """:func:`examples` of the samples ``zip(durations, traces)``, reading only the slowest: a
    statement can have hundreds of thousands of calls, and ``heapq.nlargest`` over them costs
    a tenth of building the per-trace dict. Exact: the slowest ``4 * count`` samples are
    enough when the slowest left out is faster than the ``count``-th trace they hold; on a tie
    at that cut (equal durations), every sample at least as slow is kept, in one C pass."""
    pairs = zip(durations, traces, strict=True)
    if 0 < 4 * count < len(durations):
        top = heapq.nlargest(4 * count, pairs)
        best = heapq.nlargest(count, {trace: d for d, trace in reversed(top)}.values())
        if len(best) < count:  # fewer traces than wanted among the slowest: all are needed
            return examples(ds, zip(durations, traces, strict=True), count)
        if top[-1][0] < best[-1]:
            return examples(ds, top, count)
        # A picked trace is at least as slow as the count-th found so far.
        slow_enough = map(operator.le, repeat(best[-1]), durations)
        return examples(ds, compress(zip(durations, traces, strict=True), slow_enough), count)
    return examples(ds, pairs, count)


T = TypeVar("T")
H = TypeVar("H", bound=Hashable)
#: ``Entry.endpoint`` read in C (``map(ENDPOINT_OF, entries)``).
ENDPOINT_OF = operator.attrgetter("service", "method", "route")


def numbered(keys: Sequence[H]) -> tuple[list[H], list[int]]:
    """The distinct ``keys`` in order of first appearance, and each key's number in that list
    (counting and grouping ints is about twice as fast as tuples of strings)."""
    distinct = list(dict.fromkeys(keys))
    number = {key: n for n, key in enumerate(distinct)}
    return distinct, list(map(number.__getitem__, keys))


def sequential_runs(
    items: Iterable[T],
    *,
    start: Callable[[T], int],
    end: Callable[[T], int],
    key: Callable[[T], Hashable],
    qualifies: Callable[[T], bool],
    max_gap_ns: float = math.inf,
) -> list[list[T]]:
    """Maximal runs (2+ items, in the order given) of qualifying items, each starting at or
    after the previous one ended, at most ``max_gap_ns`` later, with a ``key`` no earlier item
    of the run has: work done one after the other that could have run concurrently (SQL reads
    under one parent, browser fetches under one page)."""
    runs: list[list[T]] = []
    run: list[T] = []
    for item in items:
        ok = qualifies(item)
        follows = bool(run) and 0 <= start(item) - end(run[-1]) <= max_gap_ns
        if ok and follows and all(key(other) != key(item) for other in run):
            run.append(item)
            continue
        if len(run) >= 2:
            runs.append(run)
        run = [item] if ok else []
    if len(run) >= 2:
        runs.append(run)
    return runs


def dominant(counts: dict[str, int]) -> str | None:
    """The most frequent non-empty key (ties by name), or None."""
    ranked = sorted((-n, key) for key, n in counts.items() if key)
    return ranked[0][1] if ranked else None


def requests_per_endpoint(entries: Iterable[Entry]) -> dict[Endpoint, int]:
    counts: dict[Endpoint, int] = {}
    for entry in entries:
        counts[entry.endpoint] = counts.get(entry.endpoint, 0) + 1
    return counts


def api_entries(ds: Dataset) -> list[tuple[int, Entry]]:
    """Request entries of the API side (frontend server spans are judged as frontend)."""
    return [(i, e) for i, e in enumerate(ds.entries) if e.layer != "frontend"]


def summarize(counts: dict[str, int], limit: int = 3) -> str:
    """``a (12), b (3), +2 more``: the most frequent names first, for one table cell."""
    ranked = sorted((-n, name) for name, n in counts.items() if name)
    text = ", ".join(f"{name} ({-n})" for n, name in ranked[:limit])
    return f"{text}, +{len(ranked) - limit} more" if len(ranked) > limit else text


def short(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters for a sentence (the evidence keeps it whole)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


_TABLE = re.compile(r"\b(?:from|into|update|join)\s+`?([\w$.]+)`?", re.IGNORECASE)


def statement_label(fingerprint: str) -> str:
    """``SELECT shop_review``: the verb and first table, to name a statement in a title."""
    verb = fingerprint.split(maxsplit=1)[0].upper() if fingerprint.strip() else "?"
    table = _TABLE.search(fingerprint)
    return f"{verb} {table.group(1)}" if table else verb
