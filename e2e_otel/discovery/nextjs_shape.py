"""The description of one request (``Shape``) and the small readers the client recognizers
share: argument lists, function names, options values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tree_sitter as ts

from e2e_otel.discovery import tsparse
from e2e_otel.discovery.nextjs_parts import Hole, Lit, Parts
from e2e_otel.discovery.nextjs_project import Param
from e2e_otel.discovery.nextjs_values import Evaluator, Found, Lookup

Flag = bool | Param | None  # Param: decided by the caller's argument; None: unknown


@dataclass(frozen=True)
class Shape:
    """What a request looks like from where it is written."""

    client: str
    url: Parts
    expression: str
    method: str | Param | None
    cookies: Flag
    auth: Flag
    auth_via: str
    via: tuple[str, ...]
    through: tuple[int, ...] = ()  # ids of the wrapper functions passed, outermost first


def function_name(node: ts.Node) -> str:
    """A readable name for a function node: its own name, its variable, or its key."""
    name = node.child_by_field_name("name")
    if name is not None:
        return tsparse.text(name)
    parent = node.parent
    while parent is not None and (
        parent.type in ("parenthesized_expression", "call_expression") or _wrapped(parent)
    ):
        parent = parent.parent  # const f = memo((...) => ...), useCallback((...) => ..., [])
    if parent is not None and parent.type in ("variable_declarator", "pair"):
        key = parent.child_by_field_name("name") or parent.child_by_field_name("key")
        owner = parent.parent.parent if parent.type == "pair" and parent.parent else None
        prefix = ""
        if owner is not None and owner.type == "variable_declarator":
            owner_name = owner.child_by_field_name("name")
            prefix = tsparse.text(owner_name) + "." if owner_name is not None else ""
        return prefix + tsparse.text(key) if key is not None else "<anonymous>"
    return "<anonymous>"


_FUNCTION_WRAPPERS = frozenset({"useCallback", "memo", "forwardRef"})


def _wrapped(arguments: ts.Node) -> bool:
    """Whether ``arguments`` are those of ``useCallback(...)``, ``memo(...)``, ..."""
    call = arguments.parent
    function = call.child_by_field_name("function") if call is not None else None
    name = tsparse.text(function).rsplit(".", 1)[-1] if function is not None else ""
    return arguments.type == "arguments" and name in _FUNCTION_WRAPPERS


def method_of(value: Lookup, ev: Evaluator, default: str = "GET") -> str | Param | None:
    """An options ``method`` as an upper-case name; absent means ``default``."""
    if value is None:
        return default
    if not isinstance(value, Found):
        return value if isinstance(value, Param) else None
    parts = ev.string(value.module, value.node)
    if len(parts) == 1 and isinstance(parts[0], Hole):
        return parts[0].param  # `{ method }` passed in by the caller, or unknown
    return parts[0].text.upper() if len(parts) == 1 and isinstance(parts[0], Lit) else None


def flag_of(value: Lookup, test: Callable[[Found], bool | None]) -> Flag:
    """A credentials option: absent is False, unreadable None, else what ``test`` says."""
    if value is None:
        return False
    if not isinstance(value, Found):
        return value if isinstance(value, Param) else None
    return test(value)


def present(found: Found) -> bool:
    return True


def swr_key(key: Found) -> Found:
    """SWR keys: ``[url, ...]`` and ``() => url`` carry the URL first / as the result."""
    node = tsparse.unwrap(key.node)
    if node.type == "array" and node.named_children:
        return Found(key.module, node.named_children[0])
    body = node.child_by_field_name("body") if node.type == "arrow_function" else None
    if body is not None and body.type != "statement_block":
        return Found(key.module, body)
    return key


def text_of(value: Lookup) -> str:
    if isinstance(value, Found):
        return tsparse.text(value.node)
    return value.text if isinstance(value, Hole) else "undefined"
