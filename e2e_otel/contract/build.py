"""Assemble the contract map from the two scans (and traffic, when there is some)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from e2e_otel.contract.match import Matcher, methods_not_in
from e2e_otel.contract.models import CallMatch, ContractMap, Traffic
from e2e_otel.contract.traffic import join_traffic
from e2e_otel.discovery.django_models import DjangoDiscovery
from e2e_otel.discovery.nextjs_models import NextjsApp


def build_map(
    app: NextjsApp,
    discovery: DjangoDiscovery,
    *,
    traffic: Traffic | None = None,
    api_bases: Iterable[str] = (),
) -> ContractMap:
    """Every call of ``app`` matched against ``discovery`` (calls sorted by location, method
    and path), the endpoint methods no call reaches, and the traffic join.

    ``api_bases``: the environment variables (``NEXT_PUBLIC_API_URL``) or origins that are
    the Django API; empty means every base is (see :mod:`e2e_otel.contract.match`).
    """
    matcher = Matcher(discovery.endpoints, app.routes, api_bases, public_files(app.root))
    calls = tuple(
        sorted(
            (matcher.match(call) for call in app.calls),
            key=lambda m: (m.call.file, m.call.line, m.call.method or "", m.path or ""),
        )
    )
    return ContractMap(
        nextjs_root=app.root,
        django_settings=discovery.settings,
        calls=calls,
        uncalled=methods_not_in(discovery.endpoints, _reached(calls)),
        traffic=None if traffic is None else join_traffic(discovery.endpoints, traffic),
    )


def public_files(root: str | os.PathLike[str]) -> tuple[str, ...]:
    """The files of the Next.js app's ``public/`` folder (POSIX paths inside it), which it
    serves at ``/`` + that path; hidden files included, as Next.js serves them."""
    public = Path(root) / "public"
    if not public.is_dir():
        return ()
    return tuple(sorted(p.relative_to(public).as_posix() for p in public.rglob("*") if p.is_file()))


def _reached(calls: Iterable[CallMatch]) -> set[tuple[str, str]]:
    """(template, method) of the endpoint methods the calls reach: a call to a route with a
    method it refuses reaches nothing, nor does an unsafe method missing the route's trailing
    slash (the redirect loses it); one with an unknown method could reach any."""
    reached: set[tuple[str, str]] = set()
    for match in calls:
        endpoint = match.endpoint
        if endpoint is None or match.verdict in {"method_not_allowed", "missing_trailing_slash"}:
            continue
        if match.call.method is None:
            reached.update((endpoint.template, method) for method in endpoint.methods)
            continue
        method = match.call.method.upper()
        reached.add((endpoint.template, "GET" if method == "HEAD" else method))
    return reached
