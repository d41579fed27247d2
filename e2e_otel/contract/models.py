"""Typed results of ``e2e-otel map``: each frontend call with its verdict, the Django endpoints
no call reaches, and (with traffic) the join of discovered routes with the routes requests hit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal, get_args

from e2e_otel.discovery.django_models import DjangoEndpoint
from e2e_otel.discovery.nextjs_models import ApiCall, Route

#: ``ok``: the call matches an endpoint and method (and sends credentials where required);
#: ``not_found``: Django has no route for the path (404); ``method_not_allowed``: the route
#: exists, the method does not (405); ``missing_trailing_slash``: the route exists only with
#: a trailing slash and the method is one APPEND_SLASH cannot redirect (POST, PUT, PATCH,
#: DELETE: a RuntimeError under DEBUG, else a 301 that drops or changes the request);
#: ``missing_credentials``: an authenticated endpoint called without cookies or an
#: Authorization header (401/403 at run time); ``unresolved``: the URL or method is only
#: known at run time; ``external``: the call goes to a base that is not the Django API (see
#: ``--api-base``), so it is not checked.
Verdict = Literal[
    "not_found",
    "method_not_allowed",
    "missing_trailing_slash",
    "missing_credentials",
    "unresolved",
    "external",
    "ok",
]
#: Every verdict, the most serious first (the order of summaries and Markdown tables).
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
DEFAULT_GATE: tuple[Verdict, ...] = ("not_found", "method_not_allowed", "missing_trailing_slash")
#: Who serves the call: the Django API, a route handler of the Next.js app itself, a base
#: that is not the API, or nobody knows (an unresolved URL).
Target = Literal["django", "nextjs", "external", "unknown"]


@dataclass(frozen=True)
class ParamBinding:
    """A frontend expression in the URL bound to a Django path parameter: ``params.id`` ->
    ``pk`` (converter ``int``). ``expression`` is the expression when the parameter is one
    run-time part, else the call's text for it with ``{...}`` marking the run-time parts
    (``item-{n}``, or a literal ``42``)."""

    expression: str
    name: str
    converter: str


@dataclass(frozen=True)
class CallMatch:
    """One frontend call and what the contract map says about it.

    ``path`` is what the server sees: the base's path prefix applied, query and fragment
    dropped, ``{expression}`` for run-time parts (None when the URL is unresolved).
    ``endpoint`` is the Django endpoint it resolves to, ``nextjs_route`` the Next.js API route
    of a Next.js-internal call. ``notes`` explain the verdict (a slash added, a method
    implied, the permission that needs credentials ...).
    """

    call: ApiCall
    verdict: Verdict
    target: Target
    path: str | None
    endpoint: DjangoEndpoint | None = None
    nextjs_route: Route | None = None
    parameters: tuple[ParamBinding, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class EndpointMethods:
    """Some methods of one Django endpoint (those no call reaches, or no request hit)."""

    template: str
    route: str
    view: str
    methods: tuple[str, ...]


@dataclass(frozen=True)
class TrafficRoute:
    """Requests seen for one (service, method, Django route pattern)."""

    service: str
    method: str
    route: str
    requests: int


@dataclass(frozen=True)
class Traffic:
    """What requests hit, read from OTLP files and/or Prometheus span metrics.

    ``unrouted``: requests without ``http.route`` (Django sets none when no pattern matched,
    e.g. a 404), which name no route to compare. ``problems``: input lines that could not
    be read.
    """

    sources: tuple[str, ...]
    routes: tuple[TrafficRoute, ...]
    unrouted: int = 0
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrafficJoin:
    """Discovered endpoints against traffic: ``unseen`` methods of endpoints no request hit,
    ``undiscovered`` routes requests hit that discovery does not list."""

    traffic: Traffic
    unseen: tuple[EndpointMethods, ...]
    undiscovered: tuple[TrafficRoute, ...]


@dataclass(frozen=True)
class ContractMap:
    """The frontend-to-Django contract: every call's verdict, in location order; the endpoint
    methods no call reaches (Django's URL order); the traffic join when traffic was given."""

    nextjs_root: str
    django_settings: str
    calls: tuple[CallMatch, ...]
    uncalled: tuple[EndpointMethods, ...]
    traffic: TrafficJoin | None = None

    def counts(self) -> dict[Verdict, int]:
        """Calls per verdict, every verdict present (0 when none), in :data:`VERDICTS` order."""
        seen = Counter(match.verdict for match in self.calls)
        return {verdict: seen[verdict] for verdict in VERDICTS}

    def gated(self, verdicts: tuple[Verdict, ...] = DEFAULT_GATE) -> tuple[CallMatch, ...]:
        """The calls whose verdict is one of ``verdicts`` (what fails a CI gate)."""
        return tuple(match for match in self.calls if match.verdict in verdicts)
