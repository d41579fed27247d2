"""The pieces a URL evaluates to: literal text, an environment variable (with the fallback
written next to it), a hole for anything dynamic (remembering the function parameter it
comes from), or a choice between alternatives made at run time."""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter as ts

from e2e_otel.discovery import tsparse
from e2e_otel.discovery.nextjs_project import External, Param


@dataclass(frozen=True)
class Lit:
    text: str


@dataclass(frozen=True)
class Slash(Lit):
    """The slash axios puts between its ``baseURL`` and a URL known only at the call site
    (a wrapper's parameter): ``substitute`` drops the URL's own leading slashes after it,
    as axios does, and the base before it when the URL is absolute."""

    text: str = "/"


@dataclass(frozen=True)
class Env:
    name: str
    default: str | None = None


@dataclass(frozen=True)
class Hole:
    text: str
    param: Param | None = None


@dataclass(frozen=True)
class Choice:
    """A URL chosen at run time: ``options[0]`` when ``condition`` holds, else
    ``options[1]`` (``c ? "/a/" : "/b/"``)."""

    condition: str
    options: tuple[Parts, ...]


Part = Lit | Env | Hole | Choice
Parts = tuple[Part, ...]


def env_name(node: ts.Node) -> str | None:
    """``X`` for ``process.env.X`` / ``process.env["X"]``."""
    obj = node.child_by_field_name("object")
    if node.type == "member_expression" and obj is not None and tsparse.text(obj) == "process.env":
        prop = node.child_by_field_name("property")
        return tsparse.text(prop) if prop is not None else None
    if node.type == "subscript_expression" and obj is not None:
        index = node.child_by_field_name("index")
        if tsparse.text(obj) == "process.env" and index is not None:
            return tsparse.string_value(index)
    return None


def arguments_of(call: ts.Node) -> list[ts.Node]:
    """The positional argument nodes of a call."""
    args = call.child_by_field_name("arguments")
    return [a for a in args.named_children if a.type != "comment"] if args is not None else []


def join_base(base: Parts, url: Parts) -> Parts:
    """axios's ``baseURL`` + ``url``: one slash between them; an absolute URL wins."""
    first = url[0] if url else None
    if isinstance(first, Choice):
        options = tuple(join_base(base, (*option, *url[1:])) for option in first.options)
        return (Choice(first.condition, options),)
    if isinstance(first, Lit) and "://" in first.text:
        return url
    if not base:
        return url
    last = base[-1]
    head: Parts = base
    if isinstance(last, Lit):
        head = (*base[:-1], Lit(last.text.rstrip("/")))
    if isinstance(first, Lit):
        return (*head, Lit("/" + first.text.lstrip("/")), *url[1:])
    return (*head, Slash(), *url) if url else head


def env_binding(bound: object) -> str | None:
    """``X`` when ``bound`` is the global ``process.env.X``."""
    if isinstance(bound, External) and (bound.source, bound.name) == ("", "process"):
        return bound.path[1] if len(bound.path) == 2 and bound.path[0] == "env" else None
    return None
