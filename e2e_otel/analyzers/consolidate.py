"""One problem, one finding: symptoms folded into the cause found on the same endpoint.

An N+1 loop makes its endpoint run many queries (the chatty rule) and, when the loop is most of
a request's time, makes it slow (the slow-endpoint rule). Reported separately, one cause reads
as three problems, and the symptoms' advice ("profile the view", "batch the queries") competes
with the one step that fixes all three. So, per endpoint, the N+1 finding with the longest loop
absorbs:

- the chatty finding, when the loop is at least half of the endpoint's queries per request
  (median);
- the slow-endpoint finding, when the loop takes at least half of a typical request (the
  endpoint's p50), or when that rule put the time on the query count (its ``db_queries_median``:
  per-query application cost outside the database) and the loop is at least half of those
  queries.

The absorbed finding's figures and its priority (the higher of the two) move into the N+1
finding, and one sentence says what else it explains (the query count once, when it is why the
endpoint is both chatty and slow). The tables keep every subject; only the
findings are merged. A symptom the loop does not explain (a slow endpoint whose loop is 10 % of
its time) stays a finding of its own.

Without such a loop, a slow-query finding absorbs the slow-endpoint finding of the endpoint the
statement runs in most, when one run of the statement (its p50) is at least half of a typical
request there: the unindexed report query is the slow report page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from e2e_otel.analyzers.common import route_template
from e2e_otel.analyzers.models import PRIORITY_ORDER, Recommendation

N_PLUS_ONE = "n_plus_one"
SLOW_QUERIES = "slow_queries"
CHATTY = "chatty"
SLOW_ENDPOINT = "slow_endpoint"
#: The loop's share (of queries, of a typical request's time) from which it explains a symptom.
EXPLAINS = 0.5

Endpoint = tuple[str, str, str]


def _endpoint(r: Recommendation) -> Endpoint | None:
    e = r.evidence
    return (e.service or "", e.method or "", e.route) if e.route else None


def _in_most_requests(loop: Recommendation) -> bool:
    """Whether the loop ran in at least half of the requests that ran the handler: its
    per-request figures (averages over the requests that looped) then describe a typical
    request, and can be compared with the endpoint's medians."""
    figures = loop.evidence.figures
    affected, requests = figures.get("requests_affected"), figures.get("requests")
    return bool(affected and requests and affected >= EXPLAINS * requests)


@dataclass(frozen=True)
class _Clause:
    """What a loop explains of one symptom: its endpoint's query count (``queries``, the
    loop's ``repeats`` of them) or its slowness (``slow``: the p95, and either the loop's
    time against a typical request or the per-query cost of ``queries``)."""

    route: str
    queries: float | None = None
    repeats: float | None = None
    p95: float | None = None
    loop_ms: float | None = None
    typical: float | None = None


def _route(symptom: Recommendation) -> str:
    return f"{symptom.evidence.method or ''} {route_template(symptom.evidence.route or '')}".strip()


def _explains(loop: Recommendation, symptom: Recommendation) -> _Clause | None:
    """What the loop's finding explains of ``symptom`` (see :func:`_sentence`), or None."""
    if not _in_most_requests(loop):
        return None  # a rare loop does not explain what most requests do
    loop_figures, figures = loop.evidence.figures, symptom.evidence.figures
    repeats = loop_figures.get("avg_repeats")
    if symptom.rule == CHATTY:
        queries = figures.get("db_spans_p50")
        if queries and repeats is not None and repeats >= EXPLAINS * queries:
            return _Clause(_route(symptom), queries=queries, repeats=repeats)
    if symptom.rule == SLOW_ENDPOINT:
        typical = figures.get("p50_ms")
        loop_ms = loop_figures.get("avg_loop_ms")
        p95 = figures.get("p95_ms")
        if p95 is None or loop_ms is None:
            return None
        if typical and loop_ms >= EXPLAINS * typical:
            return _Clause(_route(symptom), p95=p95, loop_ms=loop_ms, typical=typical)
        # The slow-endpoint rule already put the time on the query count (a chatty request
        # outside the database: ORM, driver and tracing per query), and the loop is most of
        # those queries.
        queries = figures.get("db_queries_median")
        if queries and repeats is not None and repeats >= EXPLAINS * queries:
            return _Clause(_route(symptom), queries=queries, repeats=repeats, p95=p95)
    return None


def _sentence(clauses: Sequence[_Clause]) -> str:
    """One sentence for all a loop explains on its endpoint: why it runs so many queries and
    why it is slow, said once (the query count of both symptoms is the same fact)."""
    slow = next((c for c in clauses if c.p95 is not None), None)
    count = next((c for c in clauses if c.p95 is None), None)
    if slow is None:
        assert count is not None
        return (
            f"It is also why {count.route} runs {count.queries:g} queries per request "
            f"(median): this loop is {count.repeats:g} of them."
        )
    route, p95 = slow.route, slow.p95
    if slow.loop_ms is not None:  # the loop's own time is most of a typical request
        took = f"the loop takes {slow.loop_ms:g} ms of a typical {slow.typical:g} ms request"
        if count is None:
            return f"It is also why {route} is slow (p95 {p95:g} ms): {took}."
        return (
            f"It is also why {route} is slow (p95 {p95:g} ms; {took}) and runs "
            f"{count.queries:g} queries per request (median), {count.repeats:g} of them this "
            "loop's."
        )
    return (
        f"It is also why {route} is slow (p95 {p95:g} ms){' and chatty' if count else ''}: "
        f"its {slow.queries:g} queries per request (median), {slow.repeats:g} of them this "
        "loop's, cost application time (ORM, driver, tracing) on top of their time in the "
        "database."
    )


def _absorb(cause: Recommendation, symptom: Recommendation) -> Recommendation:
    priority = min(cause.priority, symptom.priority, key=PRIORITY_ORDER.__getitem__)
    prefix = "endpoint_" if symptom.rule == SLOW_ENDPOINT else "endpoint_db_"
    moved = {
        f"{prefix}{name}": value
        for name, value in symptom.evidence.figures.items()
        if name not in ("requests",)
    }
    return replace(
        cause,
        priority=priority,
        evidence=replace(cause.evidence, figures={**cause.evidence.figures, **moved}),
    )


def _statement_explains(statement: Recommendation, symptom: Recommendation) -> str | None:
    """A slow statement whose one run is at least half of a typical request of the endpoint
    it runs in most explains that endpoint's slow-endpoint finding."""
    if symptom.rule != SLOW_ENDPOINT:
        return None
    run_ms = statement.evidence.figures.get("p50_ms")
    typical = symptom.evidence.figures.get("p50_ms")
    p95 = symptom.evidence.figures.get("p95_ms")
    if run_ms is None or not typical or p95 is None or run_ms < EXPLAINS * typical:
        return None
    # It must run in most of the endpoint's requests (its calls, all endpoints together, are
    # an upper bound on those): a statement a few requests run does not make a typical one.
    calls = statement.evidence.figures.get("calls")
    requests = symptom.evidence.figures.get("requests")
    if not calls or not requests or calls < EXPLAINS * requests:
        return None
    return (
        f"It is also why {_route(symptom)} is slow (p95 {p95:g} ms): one run of this statement "
        f"takes {run_ms:g} ms (median) of a typical {typical:g} ms request."
    )


def consolidate(recommendations: Sequence[Recommendation]) -> list[Recommendation]:
    """``recommendations`` with symptoms folded into the cause found on their endpoint (its
    N+1 loops, longest first, then its slowest statement), in the same order (an absorbing
    finding keeps its place; re-sort if its priority rose)."""
    loops: dict[Endpoint, list[Recommendation]] = {}
    statements: dict[Endpoint, Recommendation] = {}
    for r in recommendations:
        key = _endpoint(r)
        if key is None:
            continue
        if r.rule == N_PLUS_ONE:
            loops.setdefault(key, []).append(r)
        elif r.rule == SLOW_QUERIES:
            best = statements.get(key)
            if best is None or _figure(r, "p50_ms") > _figure(best, "p50_ms"):
                statements[key] = r
    for found in loops.values():  # the longest loop is tried first
        found.sort(key=lambda r: -_figure(r, "avg_loop_ms"))
    causes = [r for found in loops.values() for r in found]
    absorbed: dict[str, Recommendation] = {r.id: r for r in (*causes, *statements.values())}
    explained: dict[str, list[_Clause | str]] = {}  # cause id -> what it explains, in order
    dropped: set[str] = set()
    for r in recommendations:
        key = _endpoint(r)
        if r.rule not in (CHATTY, SLOW_ENDPOINT) or key is None:
            continue
        candidates: list[tuple[Recommendation, bool]] = [(c, True) for c in loops.get(key, [])]
        if key in statements:
            candidates.append((statements[key], False))
        for cause, is_loop in candidates:
            why = _explains(cause, r) if is_loop else _statement_explains(cause, r)
            if why is not None:
                absorbed[cause.id] = _absorb(absorbed[cause.id], r)
                explained.setdefault(cause.id, []).append(why)
                dropped.add(r.id)
                break
    for cause_id, found_all in explained.items():
        clauses = [f for f in found_all if isinstance(f, _Clause)]
        sentences = [f for f in found_all if isinstance(f, str)]
        if clauses:
            sentences.insert(0, _sentence(clauses))
        cause = absorbed[cause_id]
        absorbed[cause_id] = replace(cause, description=" ".join((cause.description, *sentences)))
    return [absorbed.get(r.id, r) for r in recommendations if r.id not in dropped]


def _figure(r: Recommendation, name: str) -> float:
    return r.evidence.figures.get(name, 0.0)
