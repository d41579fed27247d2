"""Every API call of the app as an ``ApiCall``, plus the wrapper functions they go through.

A request whose URL starts with a parameter of the function around it is that function's
body as a wrapper: it is listed under ``wrappers`` and reported at each call site instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import tree_sitter as ts

from e2e_otel.discovery import tsparse
from e2e_otel.discovery.nextjs_clients import SWR_HOOKS, Clients
from e2e_otel.discovery.nextjs_models import ApiCall, Wrapper
from e2e_otel.discovery.nextjs_modules import Module
from e2e_otel.discovery.nextjs_parts import Parts
from e2e_otel.discovery.nextjs_project import External, Param, Project
from e2e_otel.discovery.nextjs_shape import Shape, function_name
from e2e_otel.discovery.nextjs_urls import expand, path_start_param, template
from e2e_otel.discovery.nextjs_values import Evaluator

_QUERY_HOOKS = frozenset(
    {"useQuery", "useQueries", "useInfiniteQuery", "useSuspenseQuery", "useMutation"}
)
_QUERY_PACKAGES = ("@tanstack/react-query", "react-query")
_COOKIE_LABELS = {"fetch": 'credentials: "include"', "axios": "withCredentials: true"}


@dataclass(frozen=True)
class FoundCalls:
    """The calls (in file, line order) and wrappers (by file, line) of an app."""

    calls: tuple[ApiCall, ...]
    wrappers: tuple[Wrapper, ...]


def find_calls(project: Project, modules: list[Module]) -> FoundCalls:
    """Scan ``modules`` (the parseable ones of ``project``) for API calls."""
    evaluator = Evaluator(project)
    clients = Clients(evaluator)
    calls: list[ApiCall] = []
    bodies: dict[int, tuple[Module, ts.Node, Shape]] = {}
    uses: Counter[int] = Counter()
    for module in modules:
        for call in module.calls:
            shape = clients.shape(module, call)
            if shape is None:
                continue
            if shape.through:
                uses[shape.through[0]] += 1
            start = path_start_param(shape.url)
            if start is not None:
                bodies.setdefault(start.function.id, (module, start.function, shape))
                continue
            hook = _hook(evaluator, module, call)
            for url, conditions in _variants(shape):
                condition = " && ".join(conditions) or None
                calls.append(_api_call(module, call, replace(shape, url=url), hook, condition))
    wrappers = [
        Wrapper(
            name=function_name(function),
            file=module.rel,
            line=tsparse.line(function),
            client=shape.client,
            url=template(shape.url, shape.expression),
            uses=uses[key],
        )
        for key, (module, function, shape) in bodies.items()
    ]
    return FoundCalls(
        calls=tuple(calls),
        wrappers=tuple(sorted(wrappers, key=lambda w: (w.file, w.line, w.name))),
    )


def _variants(shape: Shape) -> list[tuple[Parts, tuple[str, ...]]]:
    """A call per URL the code may choose, unless they differ only after the path (a
    condition that adds a query parameter is one call)."""
    variants = expand(shape.url)
    groups: dict[object, list[tuple[Parts, tuple[str, ...]]]] = {}
    for url, conditions in variants:
        target = template(url, "")
        groups.setdefault((target.path, target.base), []).append((url, conditions))
    if len(groups) == 1:
        return [(shape.url, ())]
    # Per target, the first variant, under the conditions all of its variants share.
    return [
        (group[0][0], tuple(c for c in group[0][1] if all(c in g[1] for g in group)))
        for group in groups.values()
    ]


def _api_call(
    module: Module, call: ts.Node, shape: Shape, hook: str | None, condition: str | None
) -> ApiCall:
    cookies, auth = _known(shape.cookies), _known(shape.auth)
    evidence = []
    if cookies:
        evidence.append(_COOKIE_LABELS.get(shape.client, "cookies"))
    if auth:
        evidence.append(shape.auth_via)
    if cookies or auth:
        credentials: bool | None = True
    elif cookies is None or auth is None:
        credentials = None
    else:
        credentials = False
    return ApiCall(
        file=module.rel,
        line=tsparse.line(call),
        method=shape.method if isinstance(shape.method, str) else None,
        url=template(shape.url, shape.expression),
        client=shape.client,
        via=shape.via,
        credentials=credentials,
        credentials_via=tuple(evidence),
        hook=hook,
        condition=condition,
    )


def _known(flag: bool | Param | None) -> bool | None:
    # A flag still waiting for a parameter here comes from a caller we do not follow.
    return flag if isinstance(flag, bool) else None


def _hook(evaluator: Evaluator, module: Module, call: ts.Node) -> str | None:
    """The SWR / TanStack Query hook the call is an argument of (or is), if any."""
    current: ts.Node | None = call
    while current is not None:
        function = current.child_by_field_name("function")
        if current.type == "call_expression" and function is not None:
            bound = evaluator.resolve(module, function)
            if isinstance(bound, External) and not bound.path:
                name = bound.name
                if bound.source.startswith("swr"):
                    name = "useSWR" if name == "default" else name
                    if name in SWR_HOOKS:
                        return name
                if bound.source in _QUERY_PACKAGES and name in _QUERY_HOOKS:
                    return name
        current = current.parent
    return None
