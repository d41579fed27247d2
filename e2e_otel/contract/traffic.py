"""Which Django routes real requests hit, and how that compares with discovery.

From OTLP files: the analyzers' dataset builder reads the spans, and each request entry (a
server span) gives its service, method and ``http.route``. From Prometheus: one instant query
over the span metrics (:func:`e2e_otel.sources.prometheus.instant_queries`'s
``endpoint_calls``: server spans, frontend excluded, by service, method and ``http_route``),
added up per route. Only API server spans count (a Next.js server span carries
``e2e.layer=frontend``), optionally only those of the named services.

Django's ``http.route`` is the matched pattern (``api/products/<int:pk>/``); it and a
discovered endpoint's route are compared in one normalized form
(:func:`e2e_otel.contract.paths.route_key`). A request without ``http.route`` (Django sets
none when no pattern matched) is named by its span name instead (``GET``, ``HTTP GET``,
``GET /x``): that names no route, so it is counted as ``unrouted``.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from e2e_otel import attributes as attr
from e2e_otel.contract.match import methods_not_in
from e2e_otel.contract.models import Traffic, TrafficJoin, TrafficRoute
from e2e_otel.contract.paths import route_key
from e2e_otel.discovery.django_models import DjangoEndpoint
from e2e_otel.errors import UserError

if TYPE_CHECKING:
    from e2e_otel.sources.prometheus import PrometheusClient

_Key = tuple[str, str, str]  # service, method, route


class TrafficError(UserError):
    """Traffic could not be read (a missing file); the message is one line."""


def traffic_from_files(
    files: Sequence[str | os.PathLike[str]], services: Iterable[str] = ()
) -> Traffic:
    """The routes the requests in OTLP JSON files hit. Raises :class:`TrafficError` when a
    file does not exist; unreadable lines are listed in ``problems``."""
    from e2e_otel.analyzers.ingest import build

    missing = [str(f) for f in files if not Path(f).is_file()]
    if missing:
        raise TrafficError(f"no such traces file: {missing[0]}")
    problems: list[str] = []
    dataset = build(files, lambda problem: problems.append(str(problem))).finish()
    wanted = frozenset(services)
    counts: Counter[_Key] = Counter()
    for entry in dataset.entries:
        if entry.kind != "server" or entry.layer == attr.LAYER_FRONTEND:
            continue
        if not wanted or entry.service in wanted:
            counts[(entry.service, entry.method.upper(), entry.route)] += 1
    source = f"otlp-files: {', '.join(map(str, files))}"
    return _traffic((source,), counts, tuple(problems))


def traffic_from_prometheus(
    client: PrometheusClient,
    *,
    window: timedelta,
    now: datetime,
    services: Iterable[str] = (),
) -> Traffic:
    """The routes requests hit during [now - window, now], from the span metrics. Raises
    :class:`~e2e_otel.sources.http.BackendError` when Prometheus fails."""
    from e2e_otel import metrics as m
    from e2e_otel.sources.prometheus import METHOD, instant_queries

    wanted = frozenset(services)
    counts: Counter[_Key] = Counter()
    for sample in client.query(instant_queries(window)["endpoint_calls"], now):
        labels = sample.labels
        service = labels.get(m.SERVICE, "")
        if not math.isfinite(sample.value) or (wanted and service not in wanted):
            continue
        key = (service, labels.get(METHOD, "").upper(), labels.get(m.HTTP_ROUTE, ""))
        counts[key] += round(sample.value)
    source = f"prometheus {client.url} ({window.total_seconds():g} s window)"
    return _traffic((source,), counts)


def _traffic(
    sources: tuple[str, ...], counts: Counter[_Key], problems: tuple[str, ...] = ()
) -> Traffic:
    unrouted = 0
    routes = []
    for (service, method, route), requests in sorted(counts.items()):
        if requests <= 0:
            continue  # a series that did not grow in the window: nothing was seen
        if not route or route == method or any(c.isspace() for c in route):
            unrouted += requests
        else:
            routes.append(TrafficRoute(service, method, route, requests))
    return Traffic(sources, tuple(routes), unrouted, problems)


def merge_traffic(parts: Sequence[Traffic]) -> Traffic:
    """One traffic of several sources: requests of the same service, method and route added."""
    counts: Counter[_Key] = Counter()
    for part in parts:
        for route in part.routes:
            counts[(route.service, route.method, route.route)] += route.requests
    merged = _traffic(
        tuple(s for p in parts for s in p.sources),
        counts,
        tuple(problem for p in parts for problem in p.problems),
    )
    return Traffic(merged.sources, merged.routes, sum(p.unrouted for p in parts), merged.problems)


def join_traffic(endpoints: Sequence[DjangoEndpoint], traffic: Traffic) -> TrafficJoin:
    """Endpoint methods no request hit (HEAD counts for GET), and traffic routes no
    endpoint declares."""
    by_key = {route_key(e.route): e for e in endpoints}
    seen: set[tuple[str, str]] = set()
    undiscovered = []
    for route in traffic.routes:
        endpoint = by_key.get(route_key(route.route))
        if endpoint is None:
            undiscovered.append(route)
            continue
        seen.add((endpoint.template, "GET" if route.method == "HEAD" else route.method))
    return TrafficJoin(traffic, methods_not_in(endpoints, seen), tuple(undiscovered))
