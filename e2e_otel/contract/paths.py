"""A call's URL path in the form patterns match (Django's in :mod:`e2e_otel.contract.patterns`),
Next.js routes as regular expressions, and Django routes in one comparable form.

A call's run-time parts (``{params.id}``) become private-use characters ("probes"): a probe
that stands for a whole parameter matches any converter, since its value is unknown, while a
literal like ``with-reviews`` must satisfy the converter itself (``int`` refuses it). A probe
never matches literal route text: ``/api/{kind}/`` is not ``api/products/``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from e2e_otel.discovery.nextjs_models import Route, UrlTemplate

_PROBE_FIRST = 0xE000
#: A regex matching one or more probes: what a pattern's parameter accepts besides its own.
PROBES = "[\ue000-\uf8ff]+"
_ROUTE_PARAM = re.compile(r"(?<!\?P)<(?:[^>:]+:)?(\w+)>")
# A "^" that anchors (not one that negates a character class or is escaped), a final "$".
_ANCHOR = re.compile(r"(?<![\[\\])\^|(?<!\\)\$$")


@dataclass(frozen=True)
class CallPath:
    """A call's normalized path. ``text``: what the server sees, ``{expression}`` for each
    run-time part; ``probe``: the same with each part as one private-use character and no
    leading slash (Django matches ``api/...``); ``params``: the expressions, by probe index."""

    text: str
    probe: str
    params: tuple[str, ...]

    def expression(self, probed: str) -> str:
        """The source of ``probed`` (a part of ``probe``): the expression when it is one
        run-time part, else its text with each part back as ``{expression}``."""
        if len(probed) == 1 and _is_probe(probed):
            return self.params[ord(probed) - _PROBE_FIRST]
        return "".join(
            "{" + self.params[ord(c) - _PROBE_FIRST] + "}" if _is_probe(c) else c for c in probed
        )


def _is_probe(char: str) -> bool:
    return _PROBE_FIRST <= ord(char) < _PROBE_FIRST + 0x1900


def could_start_with(probe: str, prefix: str) -> bool:
    """Whether the path ``probe`` stands for could start with ``prefix``: it does, or a
    run-time part sits where they first differ (its value could be the rest)."""
    for ours, theirs in zip(probe, prefix, strict=False):
        if ours != theirs:
            return _is_probe(ours)
    return len(probe) >= len(prefix)


def call_path(url: UrlTemplate) -> CallPath | None:
    """The normalized path of a resolved URL (None when it is built at run time): the path
    of the base's literal origin (``http://host/api``) put first, query and fragment dropped,
    repeated slashes folded, a leading slash ensured. A ``?`` or ``#`` inside a run-time part
    (``{item?.id}``, ``{this.#id}``) is the expression's, not the start of a query."""
    if not url.resolved or url.path is None:
        return None
    pieces: list[str] = []
    position = 0
    for index, param in enumerate(url.params):
        marker = "{" + param + "}"
        found = url.path.find(marker, position)
        if found < 0:
            continue
        pieces += [url.path[position:found], chr(_PROBE_FIRST + index)]
        position = found + len(marker)
    pieces.append(url.path[position:])
    probe = re.split(r"[?#]", "".join(pieces), maxsplit=1)[0]
    base = url.base.literal if url.base is not None else None
    if base and "//" in base:
        probe = urlsplit(base).path.rstrip("/") + "/" + probe.lstrip("/")
    probe = re.sub("/{2,}", "/", "/" + probe.lstrip("/"))
    text = "".join(
        "{" + url.params[ord(c) - _PROBE_FIRST] + "}" if _is_probe(c) else c for c in probe
    )
    return CallPath(text, probe.lstrip("/"), url.params)


def as_route_text(probe: str, template: str) -> str | None:
    """The probe with each segment holding a run-time part replaced by the template's literal
    segment facing it (as if the part's value were that text), or None when the segment
    counts differ or no such segment exists: the path to try when nothing matched as is."""
    ours, theirs = probe.split("/"), template.split("/")
    if len(ours) != len(theirs):
        return None
    changed = [
        b if any(_is_probe(c) for c in a) and "{" not in b else a
        for a, b in zip(ours, theirs, strict=True)
    ]
    return "/".join(changed) if changed != ours else None


def nextjs_regex(route: Route) -> re.Pattern[str]:
    """A Next.js route's path as a regex over ``/``-prefixed paths without trailing slash."""
    out = []
    for segment in route.segments:
        if segment.kind == "optional_catch_all":
            out.append("(?:/.+)?")
        elif segment.kind == "catch_all":
            out.append("/.+")
        elif segment.kind == "dynamic":
            out.append("/[^/]+")
        else:
            out.append("/" + re.escape(segment.name))
    return re.compile("".join(out) or "/")


# How Next.js ranks a segment when several routes match one URL: literal text first.
_SEGMENT_RANK = {"static": 0, "dynamic": 1, "catch_all": 2, "optional_catch_all": 3}


def nextjs_rank(route: Route) -> tuple[int, ...]:
    """A sort key putting the route Next.js would pick for a URL first: segment by segment,
    static before ``[param]`` before ``[...slug]`` before ``[[...slug]]``; a route that
    ends (``/api/users``) before one going deeper from there (``/api/users/[[...slug]]``)."""
    return tuple(_SEGMENT_RANK[segment.kind] for segment in route.segments)


def route_key(route: str) -> str:
    """A Django route pattern (``http.route`` or ``DjangoEndpoint.route``) in one comparable
    form: ``<int:pk>`` -> ``{pk}``, regex anchors and a leading slash dropped. Django joins
    included regex patterns without their inner ``^``; a discovered route keeps them."""
    return _ROUTE_PARAM.sub(r"{\1}", _ANCHOR.sub("", route)).lstrip("/")
