"""Error hotspots: failures grouped by ``e2e.error.category`` and endpoint (and statement
fingerprint for database categories), with rates against the endpoint's requests.

A failed request is an entry span carrying a category; for a database category its failing
statement is the first failed database span of that request with the same category. Database
spans that failed inside a request that did not (the application handled the error) are
reported separately as "handled". Frontend spans are counted against their page.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from e2e_otel.analyzers.builder import ENTRY_KINDS
from e2e_otel.analyzers.common import (
    CLIENT_CATEGORIES,
    Endpoint,
    dominant,
    endpoint_title,
    examples,
    pct,
    requests_per_endpoint,
    short,
)
from e2e_otel.analyzers.dataset import NO_ENTRY, Dataset, Entry
from e2e_otel.analyzers.error_advice import ADVICE, UNKNOWN, advice_for
from e2e_otel.analyzers.models import (
    AnalyzerResult,
    Evidence,
    Priority,
    Recommendation,
    Section,
    finding_id,
)
from e2e_otel.analyzers.registry import ERROR_HOTSPOTS
from e2e_otel.config import Config

NAME = ERROR_HOTSPOTS.name
RULE = "error_hotspot"
TITLE = "Failures by error category and endpoint"
COLUMNS = (
    "category",
    "endpoint",
    "workflow",
    "fingerprint_id",
    "failures",
    "requests",
    "rate_pct",
    "handled",
    "example_traces",
)
NO_REQUEST: Endpoint = ("", "", "(no request span)")
_LOWER: dict[Priority, Priority] = {"high": "medium", "medium": "low", "low": "low"}


@dataclass
class _Hotspot:
    failures: int = 0
    workflows: Counter[str] = field(default_factory=Counter)
    samples: list[tuple[int, int]] = field(default_factory=list)


# (category, endpoint, fingerprint id as a string index (0: none), handled)
Key = tuple[str, Endpoint, int, bool]


def analyze(ds: Dataset, config: Config, now: datetime) -> AnalyzerResult:
    cfg = ERROR_HOTSPOTS.read(config)
    hotspots: dict[Key, _Hotspot] = {}
    failed_db = _database_failures(ds, hotspots)
    for index, entry in enumerate(ds.entries):
        if entry.category:
            fp = _failing_statement(ds, entry, failed_db.get(index, []))
            spot = hotspots.setdefault((entry.category, entry.endpoint, fp, False), _Hotspot())
            _count(spot, entry.workflow, entry.duration_ns, entry.trace)
    frontend = [e for e in ds.frontend if e.kind not in ENTRY_KINDS]
    for entry in frontend:
        if entry.category:
            spot = hotspots.setdefault((entry.category, entry.endpoint, 0, False), _Hotspot())
            _count(spot, entry.workflow, entry.duration_ns, entry.trace)
    requests = requests_per_endpoint([*ds.entries, *frontend])
    pages = {entry.endpoint for entry in frontend}
    orphans = any(key[1] == NO_REQUEST for key in hotspots)
    calls = Counter(ds.db_fp) if orphans else Counter()  # the rate's base without a request

    def order(key: Key) -> tuple[object, ...]:
        return (-hotspots[key].failures, key[0], key[1], ds.text(key[2]), key[3])

    rows = []
    recommendations = []
    for key in sorted(hotspots, key=order):
        category, endpoint, fp, handled = key
        spot = hotspots[key]
        total = requests.get(endpoint, 0) if endpoint != NO_REQUEST else calls[fp]
        rate = pct(spot.failures, total)
        traces = examples(ds, spot.samples, cfg.examples)
        rows.append(
            (
                category,
                endpoint_title(endpoint),
                dominant(spot.workflows) or "",
                ds.text(fp),
                spot.failures,
                total,
                rate,
                handled,
                ", ".join(traces),
            )
        )
        recommendations.append(_recommend(ds, key, spot, total, traces, config, pages))
    section = Section(NAME, TITLE, COLUMNS, tuple(rows))
    return AnalyzerResult(NAME, tuple(recommendations), (section,))


def _database_failures(
    ds: Dataset, hotspots: dict[Key, _Hotspot]
) -> dict[int, list[tuple[int, int, int]]]:
    """Failed database spans of failed requests, per entry: (start, fp, category). Those of
    requests that did not fail (or without a request) become "handled" hotspots."""
    failed: dict[int, list[tuple[int, int, int]]] = {}
    for position, category in enumerate(ds.db_category):
        if not category:
            continue
        owner = ds.db_entry(position)
        fp = ds.db_fp[position]
        if owner != NO_ENTRY and ds.entries[owner].category:
            failed.setdefault(owner, []).append((ds.db_start[position], fp, category))
            continue
        endpoint = ds.entries[owner].endpoint if owner != NO_ENTRY else NO_REQUEST
        spot = hotspots.setdefault((ds.text(category), endpoint, fp, True), _Hotspot())
        trace = ds.group_trace[ds.db_group[position]]
        _count(spot, ds.text(ds.db_workflow[position]), ds.db_duration_ns(position), trace)
    return failed


def _count(spot: _Hotspot, workflow: str, duration_ns: int, trace: int) -> None:
    spot.failures += 1
    spot.workflows[workflow] += 1
    spot.samples.append((duration_ns, trace))


def _failing_statement(ds: Dataset, entry: Entry, failed: list[tuple[int, int, int]]) -> int:
    """The first failed statement of the request with the request's category (0: none)."""
    same = [(start, ds.text(fp), fp) for start, fp, cat in failed if ds.text(cat) == entry.category]
    return min(same)[2] if same else 0


def _recommend(
    ds: Dataset,
    key: Key,
    spot: _Hotspot,
    total: int,
    traces: tuple[str, ...],
    config: Config,
    pages: set[Endpoint],
) -> Recommendation:
    category, endpoint, fp, handled = key
    return hotspot_recommendation(
        config,
        category,
        endpoint,
        fingerprint_id=ds.text(fp),
        fingerprint=ds.fingerprint_text(fp) if fp else None,
        failures=spot.failures,
        total=total,
        workflow=dominant(spot.workflows),
        traces=traces,
        handled=handled,
        frontend=endpoint in pages,
    )


def hotspot_recommendation(
    config: Config,
    category: str,
    endpoint: Endpoint,
    *,
    fingerprint_id: str,
    fingerprint: str | None,
    failures: int,
    total: int,
    workflow: str | None,
    traces: tuple[str, ...] = (),
    handled: bool = False,
    frontend: bool = False,
) -> Recommendation:
    """The finding of one hotspot, from spans or from span metrics alike (same id, priority
    and wording): ``failures`` of ``total`` requests to ``endpoint`` failed with ``category``;
    the failing statement's text or id when known. ``frontend``: ``endpoint`` is a browser
    span (its advice is the frontend's when the category has one)."""
    rate = pct(failures, total)
    advice = advice_for(category, frontend)
    ratios = config.thresholds.errors
    priority: Priority = "low"
    if rate >= ratios.critical_ratio * 100:
        priority = "high"
    elif rate >= ratios.warning_ratio * 100:
        priority = "medium"
    if category in CLIENT_CATEGORIES or handled:
        priority = _LOWER[priority]
    label = endpoint_title(endpoint)
    if fingerprint:
        statement = f" The failing statement is `{short(fingerprint, 160)}`."
    elif fingerprint_id:
        statement = f" The failing statement has fingerprint id {fingerprint_id}."
    else:
        statement = ""
    what = "database calls" if endpoint == NO_REQUEST else "requests to " + label
    handled_note = (
        " The application handled the error (the request did not fail)." if handled else ""
    )
    client = category in CLIENT_CATEGORIES and not handled
    kind = "client errors" if client else "errors"
    outcome = (
        f"were refused with {category} ({rate:g}%, a client error: not counted as failed in "
        "the health score)"
        if client
        else f"failed with {category} ({rate:g}%)"
    )
    return Recommendation(
        id=finding_id(RULE, category, *endpoint, fingerprint_id, "handled" if handled else ""),
        rule=RULE,
        category=advice.category,
        priority=priority,
        title=f"{category} {'handled ' if handled else ''}{kind} in {label}: {rate:g}% of {total}",
        description=(
            f"{failures} of {total} {what} {outcome}: {advice.meaning}.{statement}{handled_note}"
        ),
        steps=advice.steps,
        expected_improvement_ms=None,
        expected_improvement_pct=rate,
        evidence=Evidence(
            service=endpoint[0] or None,
            method=endpoint[1] or None,
            route=None if endpoint == NO_REQUEST else endpoint[2],
            workflow=workflow or None,
            fingerprint_id=fingerprint_id or None,
            fingerprint=fingerprint,
            figures={"failures": float(failures), "requests": float(total), "rate_pct": rate},
            trace_ids=traces,
        ),
    )


def is_handled(rec: Recommendation) -> bool:
    """Whether an error-hotspot finding is about errors the application handled (the request
    did not fail): span metrics of requests cannot see those, only traces can."""
    ev = rec.evidence
    route = NO_REQUEST[2] if ev.route is None else ev.route
    category = rec.title.split(" ", 1)[0]  # the title starts with the category
    endpoint = (ev.service or "", ev.method or "", route)
    return rec.id == finding_id(RULE, category, *endpoint, ev.fingerprint_id or "", "handled")


def is_client_error(rec: Recommendation) -> bool:
    """Whether a finding is about client errors (4xx categories such as a login's 401s or a
    form's 400s), which the report lists apart from server faults."""
    return rec.rule == RULE and rec.title.split(" ", 2)[1:2] == ["client"]


def layer_of(category: str) -> str:
    """The layer a fix for this error category belongs to (database, api, frontend)."""
    return ADVICE.get(category, UNKNOWN).category
