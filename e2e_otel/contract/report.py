"""The contract map as JSON (versioned, for tools) and as Markdown (sized for a PR comment).

Both list calls in the map's order (file, line, method, path) and endpoints in Django's URL
order, so the same code gives byte-identical output.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

from e2e_otel.contract.models import (
    VERDICTS,
    CallMatch,
    ContractMap,
    EndpointMethods,
    TrafficJoin,
)

#: Bumped when a field changes meaning or disappears (new fields keep the version).
JSON_VERSION = 1
_TITLES = {
    "not_found": "404 not found",
    "method_not_allowed": "405 method not allowed",
    "missing_trailing_slash": "missing trailing slash",
    "missing_credentials": "missing credentials",
    "unresolved": "unresolved",
    "external": "not the API",
    "ok": "ok",
}


def to_json(contract: ContractMap) -> str:
    """The JSON document (``version`` first), indented, with a final newline."""
    document: dict[str, Any] = {
        "version": JSON_VERSION,
        "nextjs": contract.nextjs_root,
        "django_settings": contract.django_settings,
        "summary": contract.counts(),
        "calls": [_call(match) for match in contract.calls],
        "uncalled": [asdict(e) for e in contract.uncalled],
        "traffic": None if contract.traffic is None else _traffic(contract.traffic),
    }
    return json.dumps(document, indent=2) + "\n"


def _call(match: CallMatch) -> dict[str, Any]:
    call, endpoint, route = match.call, match.endpoint, match.nextjs_route
    return {
        "location": call.location,
        "condition": call.condition,  # which branch of a URL chosen at run time, if any
        "method": call.method,
        "url": call.url.path if call.url.resolved else call.url.expression,
        "base": None if call.url.base is None else call.url.base.expression,
        "credentials": call.credentials,
        "verdict": match.verdict,
        "target": match.target,
        "path": match.path,
        "endpoint": None
        if endpoint is None
        else {"template": endpoint.template, "route": endpoint.route, "view": endpoint.view},
        "nextjs_route": None if route is None else {"path": route.path, "file": route.file},
        "parameters": [asdict(p) for p in match.parameters],
        "notes": list(match.notes),
    }


def _traffic(join: TrafficJoin) -> dict[str, Any]:
    return {
        "sources": list(join.traffic.sources),
        "routes": [asdict(r) for r in join.traffic.routes],
        "unrouted_requests": join.traffic.unrouted,
        "problems": list(join.traffic.problems),
        "unseen": [asdict(e) for e in join.unseen],
        "undiscovered": [asdict(r) for r in join.undiscovered],
    }


def to_markdown(contract: ContractMap) -> str:
    """Summary line, the calls that need attention, the matched ones folded, then the
    endpoints no call reaches and the traffic join."""
    counts = contract.counts()
    summary = ", ".join(f"{n} {_TITLES[v]}" for v, n in counts.items() if n)
    out = [
        "### e2e-otel contract map",
        "",
        f"`{contract.nextjs_root}` -> `{contract.django_settings}`: "
        f"{len(contract.calls)} calls ({summary or 'none'})",
        "",
    ]
    flagged = sorted(
        (m for m in contract.calls if m.verdict != "ok"), key=lambda m: VERDICTS.index(m.verdict)
    )
    fine = [m for m in contract.calls if m.verdict == "ok"]
    if flagged:
        out += _calls_table(flagged)
    if fine:
        out += [f"<details><summary>{len(fine)} matching calls</summary>", ""]
        out += [*_calls_table(fine), "</details>", ""]
    out += _endpoint_list("Endpoints no frontend call reaches", contract.uncalled)
    if contract.traffic is not None:
        out += _traffic_markdown(contract.traffic)
    return "\n".join(out)


def _calls_table(matches: Sequence[CallMatch]) -> list[str]:
    rows = [
        (
            _TITLES[m.verdict],
            f"`{m.call.method or '?'} {m.path or m.call.url.expression}`",
            f"`{m.call.location}`" + (f" if {_code(m.call.condition)}" if m.call.condition else ""),
            _served_by(m),
            "; ".join(m.notes),
        )
        for m in matches
    ]
    return _table(("verdict", "call", "location", "served by", "notes"), rows)


def _served_by(match: CallMatch) -> str:
    if match.endpoint is not None:
        params = ", ".join(f"`{p.expression}` -> `{p.name}`" for p in match.parameters)
        served = f"`{match.endpoint.route}` ({match.endpoint.view.rpartition('.')[2]})"
        return f"{served}; {params}" if params else served
    if match.nextjs_route is not None:
        return f"Next.js `{match.nextjs_route.path}`"
    if match.target == "nextjs":
        return "Next.js `public/`"
    return ""


def _endpoint_list(title: str, endpoints: Sequence[EndpointMethods]) -> list[str]:
    if not endpoints:
        return [f"{title}: none.", ""]
    rows = [(" ".join(e.methods) or "(none)", f"`{e.route}`", f"`{e.view}`") for e in endpoints]
    return [f"{title} ({len(endpoints)}):", "", *_table(("methods", "route", "view"), rows)]


def _traffic_markdown(join: TrafficJoin) -> list[str]:
    traffic = join.traffic
    requests = sum(r.requests for r in traffic.routes)
    out = [
        f"Traffic from {', '.join(traffic.sources)}: {requests} requests on "
        f"{len(traffic.routes)} routes, {traffic.unrouted} without a route.",
        "",
    ]
    out += _endpoint_list("Endpoints no request hit", join.unseen)
    if not join.undiscovered:
        return [*out, "Traffic to undiscovered routes: none.", ""]
    rows = [(r.method, f"`{r.route}`", r.service, str(r.requests)) for r in join.undiscovered]
    return [
        *out,
        f"Traffic to undiscovered routes ({len(join.undiscovered)}):",
        "",
        *_table(("method", "route", "service", "requests"), rows),
    ]


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _code(text: str) -> str:
    """``text`` as inline code, even when it holds backticks (a template literal)."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
