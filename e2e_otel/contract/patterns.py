"""Django endpoints as matchers over a call's probe path (:mod:`e2e_otel.contract.paths`),
resolving it as Django's URL resolver resolves a real path.

An endpoint of ``path()`` routes is matched through its template: each ``{param}`` becomes
its converter's regex (a custom converter, whose regex discovery does not report, accepts one
segment like ``str``). An endpoint with a ``re_path()`` piece is matched with the real
regexes discovery reports, piece by piece as Django does: ``search`` on what the previous
piece left, ``fullmatch`` for a last piece ending in ``$``. In both, a parameter — a regex's
capturing group — also accepts a run-time part, whose value is unknown; literal pattern text
never does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from e2e_otel.contract.paths import PROBES
from e2e_otel.discovery.django_models import DjangoEndpoint
from e2e_otel.discovery.django_regex import literal_prefix, widen

# Django's built-in path converters (django.urls.converters); unknown names are custom
# converters, whose regex we cannot see, so they accept one segment like ``str``.
CONVERTERS = {
    "int": "[0-9]+",
    "str": "[^/]+",
    "slug": "[-a-zA-Z0-9_]+",
    "uuid": "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "path": ".+",
}
_TEMPLATE_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class EndpointPattern:
    """One endpoint's pattern pieces, compiled. ``names`` renames regex groups to parameter
    names (a template's ``p0`` is its first parameter); other groups keep their names.
    ``loose``: the regex pieces with their classes and every group accepting a run-time part
    (empty for a template), for telling "could be, at run time" from "never"."""

    endpoint: DjangoEndpoint
    pieces: tuple[re.Pattern[str], ...]
    names: Mapping[str, str] = field(default_factory=dict)
    loose: tuple[re.Pattern[str], ...] = ()

    def match(self, probe: str) -> dict[str, str] | None:
        """The parameters Django would pass the view (name -> probe text, in pattern order),
        or None when the path does not resolve to this endpoint. As in Django, a piece with
        named groups passes those; a piece without, its groups as ``arg0``, ``arg1``..."""
        return _resolve(self.pieces, probe, self.names)

    def could_match(self, probe: str) -> bool:
        """Whether a run-time part of ``probe`` could stand for regex text (a class such as
        ``[0-9]+``, an alternation) where the pattern has no parameter: by the loose pieces."""
        return bool(self.loose) and _resolve(self.loose, probe, self.names) is not None


def _resolve(
    pieces: tuple[re.Pattern[str], ...], probe: str, names: Mapping[str, str]
) -> dict[str, str] | None:
    rest, positional = probe, 0
    values: dict[str, str] = {}
    for index, piece in enumerate(pieces):
        whole = index == len(pieces) - 1 and piece.pattern.endswith("$")
        found = piece.fullmatch(rest) if whole else piece.search(rest)
        if found is None:
            return None
        params = list(found.groupdict().items())
        if not params:
            params = [(f"arg{positional + i}", v) for i, v in enumerate(found.groups())]
            positional += len(params)
        values.update((names.get(k, k), v) for k, v in params if v is not None)
        rest = rest[found.end() :]
    return values


def endpoint_pattern(endpoint: DjangoEndpoint) -> EndpointPattern:
    """The endpoint's matcher. Raises :class:`re.error` when a regex discovery reported
    cannot be compiled here (syntax of a newer Python than ours, say)."""
    if endpoint.regex:
        pieces = tuple(_first_compiling(widen(r, PROBES), r) for r in endpoint.regex)
        loose = tuple(
            _first_compiling(widen(r, PROBES, loose=True), widen(r, PROBES), r)
            for r in endpoint.regex
        )
        return EndpointPattern(endpoint, pieces, loose=loose)
    names = {f"p{i}": name for i, name in enumerate(_TEMPLATE_PARAM.findall(endpoint.template))}
    try:
        regex = re.compile(_template_pattern(endpoint, custom_regex=True))
    except re.error:  # a hand-written regex our template split badly: one segment per param
        regex = re.compile(_template_pattern(endpoint, custom_regex=False))
    return EndpointPattern(endpoint, (regex,), names)


def _first_compiling(*candidates: str) -> re.Pattern[str]:
    """The first of ``candidates`` (widest first) that compiles: widening can break a regex,
    as a group or class inside a lookbehind is no longer fixed-width; that piece then takes a
    run-time part nowhere. :class:`re.error` when the last, the regex itself, does not."""
    for candidate in candidates[:-1]:
        try:
            return re.compile(candidate)
        except re.error:
            continue
    return re.compile(candidates[-1])


def reach_prefix(endpoint: DjangoEndpoint) -> str:
    """Literal text every path the endpoint's regexes match starts with, read without
    compiling them (for a regex that does not compile here): each ``^``-anchored piece's
    literal start, up to the first piece that is not literal throughout."""
    out = []
    for regex in endpoint.regex:
        if not regex.startswith("^"):  # searched for anywhere in what is left
            break
        text, whole = literal_prefix(regex)
        out.append(text)
        if not whole:
            break
    return "".join(out)


def _template_pattern(endpoint: DjangoEndpoint, *, custom_regex: bool) -> str:
    out, position = ["^"], 0
    for index, match in enumerate(_TEMPLATE_PARAM.finditer(endpoint.template)):
        out.append(re.escape(endpoint.template[position : match.start()]))
        converter = endpoint.parameters.get(match[1], "str")
        body = CONVERTERS.get(converter)
        if body is None:
            is_regex = custom_regex and not converter.isidentifier()
            body = converter if is_regex else CONVERTERS["str"]
        out.append(f"(?P<p{index}>(?:{body})|{PROBES})")
        position = match.end()
    out.append(re.escape(endpoint.template[position:]) + r"\Z")
    return "".join(out)
