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
finding, and one sentence says what else it explains. The tables keep every subject; only the
findings are merged. A symptom the loop does not explain (a slow endpoint whose loop is 10 % of
its time) stays a finding of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from e2e_otel.analyzers.models import PRIORITY_ORDER, Recommendation

N_PLUS_ONE = "n_plus_one"
CHATTY = "chatty"
SLOW_ENDPOINT = "slow_endpoint"
#: The loop's share (of queries, of a typical request's time) from which it explains a symptom.
EXPLAINS = 0.5

Endpoint = tuple[str, str, str]


def _endpoint(r: Recommendation) -> Endpoint | None:
    e = r.evidence
    return (e.service or "", e.method or "", e.route) if e.route else None


def _explains(loop: Recommendation, symptom: Recommendation) -> str | None:
    """The sentence the loop's finding gains by absorbing ``symptom``, or None."""
    loop_figures, figures = loop.evidence.figures, symptom.evidence.figures
    route = f"{symptom.evidence.method or ''} {symptom.evidence.route}".strip()
    if symptom.rule == CHATTY:
        queries = figures.get("db_spans_p50")
        repeats = loop_figures.get("avg_repeats")
        if queries and repeats is not None and repeats >= EXPLAINS * queries:
            return (
                f"It is also why {route} runs {queries:g} queries per request (median): this "
                f"loop is {repeats:g} of them."
            )
    if symptom.rule == SLOW_ENDPOINT:
        typical = figures.get("p50_ms")
        loop_ms = loop_figures.get("avg_loop_ms")
        p95 = figures.get("p95_ms")
        if p95 is None or loop_ms is None:
            return None
        if typical and loop_ms >= EXPLAINS * typical:
            return (
                f"It is also why {route} is slow (p95 {p95:g} ms): the loop takes {loop_ms:g} ms "
                f"of a typical {typical:g} ms request."
            )
        # The slow-endpoint rule already put the time on the query count (a chatty request
        # outside the database: ORM, driver and tracing per query), and the loop is most of
        # those queries.
        queries = figures.get("db_queries_median")
        repeats = loop_figures.get("avg_repeats")
        if queries and repeats is not None and repeats >= EXPLAINS * queries:
            return (
                f"It is also why {route} is slow (p95 {p95:g} ms): its {queries:g} queries per "
                f"request (median), {repeats:g} of them this loop's, cost application time "
                "(ORM, driver, tracing) on top of their time in the database."
            )
    return None


def _absorb(loop: Recommendation, symptom: Recommendation, sentence: str) -> Recommendation:
    priority = min(loop.priority, symptom.priority, key=PRIORITY_ORDER.__getitem__)
    prefix = "endpoint_" if symptom.rule == SLOW_ENDPOINT else "endpoint_db_"
    moved = {
        f"{prefix}{name}": value
        for name, value in symptom.evidence.figures.items()
        if name not in ("requests",)
    }
    return replace(
        loop,
        priority=priority,
        description=f"{loop.description} {sentence}",
        evidence=replace(loop.evidence, figures={**loop.evidence.figures, **moved}),
    )


def consolidate(recommendations: Sequence[Recommendation]) -> list[Recommendation]:
    """``recommendations`` with symptoms folded into their endpoint's N+1 finding, in the same
    order (an absorbing finding keeps its place; re-sort if its priority rose)."""
    loops: dict[Endpoint, Recommendation] = {}
    for r in recommendations:
        key = _endpoint(r)
        if r.rule == N_PLUS_ONE and key is not None:
            best = loops.get(key)
            if best is None or r.evidence.figures.get("avg_loop_ms", 0) > best.evidence.figures.get(
                "avg_loop_ms", 0
            ):
                loops[key] = r
    absorbed: dict[str, Recommendation] = {loop.id: loop for loop in loops.values()}
    dropped: set[str] = set()
    for r in recommendations:
        key = _endpoint(r)
        if r.rule not in (CHATTY, SLOW_ENDPOINT) or key is None or key not in loops:
            continue
        loop_id = loops[key].id
        sentence = _explains(loops[key], r)
        if sentence is not None:
            absorbed[loop_id] = _absorb(absorbed[loop_id], r, sentence)
            dropped.add(r.id)
    return [absorbed.get(r.id, r) for r in recommendations if r.id not in dropped]
