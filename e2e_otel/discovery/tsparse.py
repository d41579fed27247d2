"""tree-sitter setup and the node helpers the Next.js scanner shares.

``.ts`` files use the TypeScript grammar because its ``<T>value`` casts are not valid TSX;
every other source file (``.tsx``, ``.js``, ``.jsx``, ``.mjs``, ``.cjs``) uses the TSX grammar,
which also accepts plain JavaScript with JSX.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import tree_sitter as ts
import tree_sitter_typescript as tst

SOURCE_SUFFIXES = (".tsx", ".ts", ".jsx", ".js", ".mjs", ".cjs")
_TS_ONLY_SUFFIXES = (".ts", ".mts", ".cts")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "f": "\f", "v": "\v"}


@functools.cache
def _language(tsx: bool) -> ts.Language:
    return ts.Language(tst.language_tsx() if tsx else tst.language_typescript())


@functools.cache
def _parser(tsx: bool) -> ts.Parser:
    return ts.Parser(_language(tsx))


@functools.cache
def _calls_query(tsx: bool) -> ts.Query:
    return ts.Query(_language(tsx), "(call_expression) @call")


def is_tsx(suffix: str) -> bool:
    """Whether files with this suffix are parsed with the TSX grammar."""
    return suffix not in _TS_ONLY_SUFFIXES


def parse(source: bytes, suffix: str) -> ts.Tree:
    """Parse ``source`` with the grammar its file suffix calls for."""
    return _parser(is_tsx(suffix)).parse(source)


def calls_in(node: ts.Node, tsx: bool) -> list[ts.Node]:
    """Every ``call_expression`` under ``node`` (itself included), in source order; ``tsx``
    names the grammar ``node`` was parsed with."""
    captures = ts.QueryCursor(_calls_query(tsx)).captures(node)
    return sorted(captures.get("call", []), key=lambda n: n.start_byte)


def first_error(node: ts.Node) -> ts.Node | None:
    """The first ERROR or MISSING node in source order, or None for a clean tree."""
    if not node.has_error:
        return None
    for child in node.children:
        found = first_error(child)
        if found is not None:
            return found
    return node if node.type == "ERROR" or node.is_missing else None


def text(node: ts.Node) -> str:
    """The source text of ``node``."""
    return (node.text or b"").decode("utf-8", "replace")


def line(node: ts.Node) -> int:
    """1-based line number where ``node`` starts."""
    return node.start_point[0] + 1


def string_value(node: ts.Node) -> str | None:
    """The value of a plain string literal (escapes decoded), None for anything else."""
    if node.type != "string":
        return None
    return "".join(fragment_value(child) for child in node.named_children)


def fragment_value(node: ts.Node) -> str:
    """The text a ``string_fragment`` or ``escape_sequence`` stands for."""
    raw = text(node)
    if node.type == "escape_sequence":
        return _ESCAPES.get(raw[1:], raw[1:])
    return raw


def unwrap(node: ts.Node) -> ts.Node:
    """Strip parentheses and type-only wrappers (``x as T``, ``x!``, ``x satisfies T``)."""
    while node.type in (
        "parenthesized_expression",
        "as_expression",
        "non_null_expression",
        "satisfies_expression",
        "type_assertion",
    ):
        inner = next((c for c in node.named_children if c.type not in _TYPE_NODES), None)
        if inner is None:
            break
        node = inner
    return node


_TYPE_NODES = frozenset(
    {"type_identifier", "predefined_type", "generic_type", "type_arguments", "object_type"}
)


def walk(node: ts.Node) -> Iterator[ts.Node]:
    """Every node under ``node`` (itself included), depth first."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def literal(node: ts.Node) -> object:
    """The value of a JSON-like literal (objects, arrays, strings, numbers, booleans, null);
    None for anything else. Reads JSONC files such as tsconfig.json, comments and trailing
    commas included, once wrapped in parentheses and parsed as an expression."""
    node = unwrap(node)
    if node.type == "object":
        result: dict[str, object] = {}
        for pair in node.named_children:
            key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
            if pair.type == "pair" and key is not None and value is not None:
                name = string_value(key)
                result[text(key) if name is None else name] = literal(value)
        return result
    if node.type == "array":
        return [literal(c) for c in node.named_children if c.type != "comment"]
    if node.type == "number":
        return float(text(node))
    if node.type in ("true", "false"):
        return node.type == "true"
    return string_value(node)
