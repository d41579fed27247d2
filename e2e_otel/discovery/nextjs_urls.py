"""URL parts -> ``UrlTemplate``: the base (origin) split from the path, dynamic parts marked
``{expression}``, the query split off; and the rule that tells a wrapper's URL parameter
(``${API}${path}``) from a path parameter (``/api/products/${id}/``)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from e2e_otel.discovery.nextjs_models import UrlBase, UrlTemplate
from e2e_otel.discovery.nextjs_parts import Choice, Env, Hole, Lit, Part, Parts, Slash
from e2e_otel.discovery.nextjs_project import Param

_MAX_VARIANTS = 8


def split_base(parts: Parts) -> tuple[UrlBase | None, Parts]:
    """The origin of a URL and the parts after it. A leading environment variable, a
    literal ``scheme://host``, or an unknown non-parameter expression followed by ``/...``
    is the base."""
    if not parts:
        return None, parts
    first, rest = parts[0], parts[1:]
    if isinstance(first, Env):
        return UrlBase(first.name, first.default, f"process.env.{first.name}"), rest
    if isinstance(first, Lit) and (first.text.startswith("//") or "://" in first.text):
        split = urlsplit(first.text)
        origin = f"{split.scheme}://{split.netloc}" if split.scheme else f"//{split.netloc}"
        remainder = first.text[len(origin) :]
        return UrlBase(None, origin, origin), ((Lit(remainder),) if remainder else ()) + rest
    followed_by_path = not rest or (isinstance(rest[0], Lit) and rest[0].text.startswith("/"))
    if isinstance(first, Hole) and first.param is None and followed_by_path and rest:
        return UrlBase(None, None, first.text), rest
    return None, parts


def template(parts: Parts, expression: str) -> UrlTemplate:
    """The typed URL of a call whose URL argument (source text ``expression``) evaluated
    to ``parts``."""
    base, rest = split_base(parts)
    path: list[str] = []
    query: list[str] | None = None
    params: list[str] = []
    literal = False
    for part in rest:
        if isinstance(part, Lit) and query is not None:
            query.append(part.text)
        elif isinstance(part, Lit):
            before, mark, after = part.text.partition("?")
            path.append(before)
            literal = literal or bool(before.strip("/"))
            query = [after] if mark else None
        else:
            name = _name(part)
            (path if query is None else query).append("{" + name + "}")
            if query is None:
                params.append(name)
    return UrlTemplate(
        resolved=literal,
        path="".join(path) if literal else None,
        query="".join(query) if query is not None else None,
        params=tuple(params) if literal else (),
        base=base,
        expression=expression,
    )


def _name(part: Env | Hole | Choice) -> str:
    if isinstance(part, Hole):
        return part.text
    if isinstance(part, Env):
        return f"process.env.{part.name}"
    return f"{part.condition} ? ... : ..."


def expand(parts: Parts) -> list[tuple[Parts, tuple[str, ...]]]:
    """Every URL ``parts`` may be, with the conditions that choose it (none for a URL
    without a ``Choice``); past a few variants the rest stay unexpanded."""
    variants: list[tuple[Parts, tuple[str, ...]]] = [((), ())]
    for part in parts:
        if not isinstance(part, Choice) or len(variants) * 2 > _MAX_VARIANTS:
            variants = [((*done, part), conditions) for done, conditions in variants]
            continue
        grown = []
        for done, conditions in variants:
            for index, option in enumerate(part.options):
                condition = part.condition if index == 0 else _negate(part.condition)
                for tail, inner in expand(option):
                    grown.append((done + tail, (*conditions, condition, *inner)))
        variants = grown[: _MAX_VARIANTS * 2]
    return variants


def _negate(condition: str) -> str:
    simple = all(c.isalnum() or c in "._$?" for c in condition.removeprefix("!"))
    if simple and condition.startswith("!"):
        return condition[1:]
    return f"!{condition}" if simple else f"!({condition})"


def path_start_param(parts: Parts) -> Param | None:
    """The function parameter that supplies the start of the path (a wrapper's URL
    parameter), if any. A parameter after ``/segment/`` is a path parameter instead, and
    one after ``?`` is a query value."""
    _, rest = split_base(parts)
    prefix = ""
    for part in rest:
        if isinstance(part, Choice) and not prefix.strip("/"):
            # `url.startsWith("http") ? url : `${API}${url}``: the same parameter in each
            starts = {path_start_param(option) for option in part.options} - {None}
            return starts.pop() if len(starts) == 1 else None
        if isinstance(part, Lit):
            prefix += part.text
        elif isinstance(part, Hole) and part.param is not None:
            if "?" not in prefix and (not prefix.strip("/") or not prefix.endswith("/")):
                return part.param
            return None
        else:
            prefix += "{}"
    return None


def substitute(parts: Parts, bind: Callable[[Param], Parts | None]) -> Parts:
    """Replace the holes of parameters ``bind`` knows with the call site's values."""
    result: list[Part] = []
    for part in parts:
        if isinstance(part, Choice):
            options = tuple(substitute(option, bind) for option in part.options)
            known = _absolute_or_not(part, options, bind)
            if known is not None:
                result.extend(known)
            else:
                result.append(Choice(part.condition, options))
            continue
        bound = bind(part.param) if isinstance(part, Hole) and part.param is not None else None
        if bound is not None and result and isinstance(result[-1], Slash):
            bound = _after_slash(bound)
            if bound and isinstance(bound[0], Lit) and "://" in bound[0].text:
                result.clear()  # an absolute URL: axios ignores the baseURL
        result.extend((part,) if bound is None else bound)
    return tuple(result)


def _absolute_or_not(
    choice: Choice, options: tuple[Parts, ...], bind: Callable[[Param], Parts | None]
) -> Parts | None:
    """``url.startsWith("http") ? url : `${API}${url}```: a wrapper that passes absolute
    URLs through. Once the call site's URL is known literally, the branch it takes is too."""
    if "http" not in choice.condition and "://" not in choice.condition:
        return None
    for index, option in enumerate(choice.options):
        hole = option[0] if len(option) == 1 else None
        bound = bind(hole.param) if isinstance(hole, Hole) and hole.param is not None else None
        absolute = _absolute(bound) if bound else None
        if len(choice.options) == 2 and absolute is not None:
            return options[index] if absolute else options[1 - index]
    return None


def _absolute(parts: Parts) -> bool | None:
    """Whether a URL is absolute (``scheme://`` or ``//``); None when not known."""
    first = parts[0] if parts else None
    if isinstance(first, Choice):
        found = {_absolute(option) for option in first.options}
        return found.pop() if len(found) == 1 else None
    if isinstance(first, Lit) and first.text:
        return "://" in first.text or first.text.startswith("//")
    return None


def _after_slash(parts: Parts) -> Parts:
    """A URL put after axios's ``baseURL`` slash: its own leading slashes dropped."""
    first = parts[0] if parts else None
    if isinstance(first, Choice):
        return (Choice(first.condition, tuple(map(_after_slash, first.options))), *parts[1:])
    if isinstance(first, Lit) and "://" not in first.text:
        stripped = first.text.lstrip("/")
        return ((Lit(stripped),) if stripped else ()) + parts[1:]
    return parts
