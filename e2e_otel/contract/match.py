"""Match each frontend call to the Django endpoint (or Next.js API route) that would serve it.

Who serves a call is decided by its base:

- a base (an environment variable like ``NEXT_PUBLIC_API_URL``, a literal origin, another
  expression) is the Django API, unless ``api_bases`` names the API's bases and this one is
  not among them: then the call is ``external`` and not checked;
- no base (a relative URL ``/api/...``) goes to the Next.js app's own origin: a file of its
  ``public/`` folder (``/pwa/manifest.json``) is served as is; when a Next.js API route
  (``app/**/route.ts``, ``pages/api/**``; static segments before dynamic ones, before
  catch-alls, as Next.js ranks them) matches the path, the call is Next.js-internal and
  checked against that route's methods; otherwise it is assumed to reach Django through the
  app's rewrites or proxy and checked like any API call.

A Django path resolves as Django's URL resolver would (:mod:`e2e_otel.contract.patterns`):
the endpoints in URL order, the first whose pattern (converters, or a ``re_path()``'s own
regexes) matches wins, so ``with-reviews`` skips ``products/<int:pk>/`` for the literal
``products/with-reviews/``. A run-time part of the path matches any parameter but never
literal route text. When nothing matches, a path
without a trailing slash is tried with one (Django's APPEND_SLASH redirects ``/x`` to
``/x/``; nothing removes a slash) — fine for a GET, ``missing_trailing_slash`` for the
methods it cannot redirect — and a path whose run-time parts could stand for route text is
``unresolved`` rather than ``not_found``. Query strings are ignored. Allowed methods are
the view's own plus HEAD (from GET) and OPTIONS (every class-based view).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from e2e_otel.contract import paths
from e2e_otel.contract.credentials import missing_credentials
from e2e_otel.contract.models import CallMatch, EndpointMethods, ParamBinding, Verdict
from e2e_otel.contract.patterns import EndpointPattern, endpoint_pattern, reach_prefix
from e2e_otel.discovery.django_models import ANY_METHOD, DjangoEndpoint
from e2e_otel.discovery.nextjs_models import ApiCall, Route, UrlBase

# What django.middleware.common.CommonMiddleware refuses to redirect under DEBUG.
_NOT_REDIRECTED = frozenset({"DELETE", "POST", "PUT", "PATCH"})


class Matcher:
    """Resolves calls against one Django discovery and one Next.js app's API routes."""

    def __init__(
        self,
        endpoints: Sequence[DjangoEndpoint],
        nextjs_routes: Iterable[Route] = (),
        api_bases: Iterable[str] = (),
        public_files: Iterable[str] = (),
    ) -> None:
        self._endpoints: list[EndpointPattern] = []
        # Patterns whose regex does not compile here, with the error and the literal start
        # of the paths they match: each might match any path starting so.
        self._unevaluable: list[tuple[DjangoEndpoint, str, str]] = []
        for endpoint in endpoints:
            try:
                self._endpoints.append(endpoint_pattern(endpoint))
            except re.error as exc:
                self._unevaluable.append((endpoint, str(exc), reach_prefix(endpoint)))
        # Most specific first, as Next.js resolves them: /api/users/stripe before
        # /api/users/[userId], which goes before /api/[...slug] and /api/[[...slug]].
        api_routes = [r for r in nextjs_routes if r.kind == "api" and r.intercepts is None]
        self._nextjs = tuple(
            (route, paths.nextjs_regex(route))
            for route in sorted(api_routes, key=paths.nextjs_rank)
        )
        # public/ files by URL path: Next.js serves them before any dynamic route.
        self._public = {"/" + f.strip("/"): f for f in public_files}
        self._api_bases = frozenset(api_bases)

    def match(self, call: ApiCall) -> CallMatch:
        """The verdict on one call."""
        path = paths.call_path(call.url)
        if path is None:
            note = f"URL built at run time: {call.url.expression}"
            return CallMatch(call, "unresolved", "unknown", None, notes=(note,))
        base = call.url.base
        if base is not None and self._api_bases and not self._is_api(base):
            note = f"base {base.env or base.literal or base.expression} is not the Django API"
            return CallMatch(call, "external", "external", path.text, notes=(note,))
        notes: list[str] = []
        if base is None:
            internal = self._match_nextjs(call, path)
            if internal is not None:
                return internal
            notes.append("relative URL: assumed to reach Django through the app's rewrites")
        found = self._resolve(path.probe)
        slash_added = False
        if found is None and not path.text.endswith("/"):
            # Only ever added: APPEND_SLASH redirects /x to /x/, nothing strips a slash.
            found = self._resolve(path.probe + "/")
            slash_added = found is not None
        if found is None:
            return self._unmatched(call, path, notes)
        endpoint, values = found
        bindings = tuple(
            ParamBinding(path.expression(value), name, endpoint.parameters.get(name, "str"))
            for name, value in values.items()
        )
        verdict, why = _check_method(call, endpoint)
        if slash_added:
            slash_verdict, note = _check_slash(call, endpoint)
            verdict = slash_verdict or verdict
            notes.append(note)
        notes += why
        return CallMatch(call, verdict, "django", path.text, endpoint, None, bindings, tuple(notes))

    def _is_api(self, base: UrlBase) -> bool:
        named = {base.env, base.literal, base.expression, f"${base.env}"}
        return not self._api_bases.isdisjoint(named)

    def _resolve(self, probe: str) -> tuple[DjangoEndpoint, dict[str, str]] | None:
        for pattern in self._endpoints:
            values = pattern.match(probe)
            if values is not None:
                return pattern.endpoint, values
        return None

    def _match_nextjs(self, call: ApiCall, path: paths.CallPath) -> CallMatch | None:
        static = self._public.get("/" + path.probe.strip("/"))
        if static is not None:
            note = f"a static file of the Next.js app: public/{static}"
            return CallMatch(call, "ok", "nextjs", path.text, notes=(note,))
        probe = "/" + path.probe.rstrip("/")
        for route, regex in self._nextjs:
            if regex.fullmatch(probe) is None:
                continue
            allowed = _with_implied(route.methods, class_based=True) if route.methods else None
            verdict: Verdict = "ok"
            notes = [f"served by the Next.js app: {route.file}"]
            if call.method is None:
                verdict = "unresolved"
                notes.append("method not known statically")
            elif allowed is not None and call.method.upper() not in allowed:
                verdict = "method_not_allowed"
                notes.append(f"{route.path} handles {', '.join(sorted(allowed))}")
            return CallMatch(call, verdict, "nextjs", path.text, None, route, (), tuple(notes))
        return None

    def _unmatched(self, call: ApiCall, path: paths.CallPath, notes: list[str]) -> CallMatch:
        maybe = []
        for pattern in self._endpoints:
            guess = paths.as_route_text(path.probe, pattern.endpoint.template)
            fits = guess is not None and pattern.match(guess) is not None
            if fits or pattern.could_match(path.probe):
                maybe.append(pattern.endpoint.template)
        if maybe:
            notes.append(f"a run-time part stands for route text; could be {', '.join(maybe)}")
            return CallMatch(call, "unresolved", "django", path.text, notes=tuple(notes))
        # With the trailing slash APPEND_SLASH would add, if it has none: /odd reaches odd/.
        slashed = path.probe if path.probe.endswith("/") else path.probe + "/"
        broken = [
            f"the regex of {e.route} cannot be evaluated here ({why}); it might match"
            for e, why, prefix in self._unevaluable
            if paths.could_start_with(slashed, prefix)
        ]
        if broken:
            notes += broken
            return CallMatch(call, "unresolved", "django", path.text, notes=tuple(notes))
        notes.append(f"no Django URL pattern matches {path.text}")
        return CallMatch(call, "not_found", "django", path.text, notes=tuple(notes))


def allowed_methods(endpoint: DjangoEndpoint) -> frozenset[str] | None:
    """Methods the endpoint answers (None: any), HEAD and OPTIONS included where implied.
    A view without handler methods answers none of its own: only OPTIONS, from DRF."""
    own = (*endpoint.methods, *endpoint.implicit_methods)
    if ANY_METHOD in own:
        return None
    return _with_implied(own, class_based=endpoint.kind != "function")


def _with_implied(methods: Iterable[str], *, class_based: bool) -> frozenset[str]:
    allowed = {m.upper() for m in methods}
    if "GET" in allowed:
        allowed.add("HEAD")
    if class_based:
        allowed.add("OPTIONS")
    return frozenset(allowed)


def _check_method(call: ApiCall, endpoint: DjangoEndpoint) -> tuple[Verdict, list[str]]:
    if call.method is None:
        return "unresolved", ["method not known statically"]
    method = call.method.upper()
    allowed = allowed_methods(endpoint)
    if allowed is not None and method not in allowed:
        order = [m for m in (*endpoint.methods, "HEAD", "OPTIONS") if m in allowed]
        return "method_not_allowed", [f"{endpoint.view} allows {', '.join(dict.fromkeys(order))}"]
    why = missing_credentials(call, endpoint, method)
    if why is not None:
        return "missing_credentials", [why]
    return "ok", []


def _check_slash(call: ApiCall, endpoint: DjangoEndpoint) -> tuple[Verdict | None, str]:
    """The verdict (None: the method's own) and note on a call that matched only once a
    trailing slash was added. CommonMiddleware answers the 404 with a 301 to the slashed URL,
    which a GET survives; for the methods in ``_NOT_REDIRECTED`` it raises RuntimeError under
    DEBUG, and a client following the 301 resends a POST as a GET without its body."""
    method = (call.method or "").upper()
    if method not in _NOT_REDIRECTED:
        return None, f"no trailing slash: Django's APPEND_SLASH redirects to /{endpoint.template}"
    return "missing_trailing_slash", (
        f"no trailing slash: APPEND_SLASH cannot redirect a {method} to /{endpoint.template} "
        "(RuntimeError under DEBUG, else a 301 that loses the request)"
    )


def methods_not_in(
    endpoints: Iterable[DjangoEndpoint], used: set[tuple[str, str]]
) -> tuple[EndpointMethods, ...]:
    """Per endpoint (in the order given), its own methods absent from ``used`` (pairs of
    template and method; an any-method endpoint counts as used by any method). An endpoint
    without handler methods is listed with none: no call can reach it."""
    result = []
    for endpoint in endpoints:
        if not endpoint.operations:
            result.append(EndpointMethods(endpoint.template, endpoint.route, endpoint.view, ()))
            continue
        any_used = any(template == endpoint.template for template, _ in used)
        left = tuple(
            method
            for method in endpoint.methods
            if (endpoint.template, method) not in used and not (method == ANY_METHOD and any_used)
        )
        if left:
            result.append(EndpointMethods(endpoint.template, endpoint.route, endpoint.view, left))
    return tuple(result)
