"""tree-sitter setup and the node helpers the Next.js scanner shares.

``.ts`` files use the TypeScript grammar because its ``<T>value`` casts are not valid TSX;
every other source file (``.tsx``, ``.js``, ``.jsx``, ``.mjs``, ``.cjs``) uses the TSX grammar,
which also accepts plain JavaScript with JSX.
"""

from __future__ import annotations

import functools
import re
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


@functools.cache
def _value_attributes_query() -> ts.Query:
    return ts.Query(
        _language(True),
        "(jsx_attribute (property_identifier) @key (jsx_expression (_) @value)"
        ' (#eq? @key "value"))',
    )


def value_attributes(root: ts.Node) -> list[ts.Node]:
    """The expressions of every ``value={...}`` JSX attribute under ``root`` (TSX grammar),
    in source order."""
    found = ts.QueryCursor(_value_attributes_query()).captures(root).get("value", [])
    return sorted(found, key=lambda n: n.start_byte)


def is_tsx(suffix: str) -> bool:
    """Whether files with this suffix are parsed with the TSX grammar."""
    return suffix not in _TS_ONLY_SUFFIXES


def parse(source: bytes, suffix: str) -> ts.Tree:
    """Parse ``source`` with the grammar its file suffix calls for.

    A bare ``&`` in JSX text (``<p>Q & A</p>``) or in a JSX attribute's string
    (``src="/logo.svg?a=1&b=2"``) is valid JSX, but the grammar only knows
    ``&name;`` character references there and fails around it, sometimes for the rest of
    the element. Each such ``&`` (right after a piece of JSX text, or starting an ERROR
    node) is replaced by a space and the file parsed again, as long as that leaves less of
    it in error in the end: same length, so every position holds. The same goes for
    TypeScript import types (``import("./types").Item[]``), which the grammar cannot read
    before ``[``."""
    tree = _parser(is_tsx(suffix)).parse(source)
    best, damage, best_source = tree, _damage(tree.root_node), source
    for _ in range(_MAX_REPAIRS if is_tsx(suffix) else 0):  # no JSX in `.ts` files
        ampersands = _bare_ampersands(tree.root_node, source) if tree.root_node.has_error else []
        if not ampersands:
            break
        patched = bytearray(source)
        for offset in ampersands:
            end = offset
            while source[end : end + 1] == b"&":  # `a && b` in JSX text too
                end += 1
            patched[offset:end] = b" " * (end - offset)
        source = bytes(patched)
        tree = _parser(is_tsx(suffix)).parse(source)
        if _damage(tree.root_node) < damage:  # one `&` fixed may reveal the next
            best, damage, best_source = tree, _damage(tree.root_node), source
    if best.root_node.has_error and b"import" in best_source:
        blanked = _IMPORT_TYPE.sub(lambda m: b" " * len(m.group(0)), best_source)
        tree = _parser(is_tsx(suffix)).parse(blanked) if blanked != best_source else best
        if _damage(tree.root_node) < damage:
            best = tree
    return best


# `import("./types").Item` as a type: the grammar fails on it before `[` (`Item[]`,
# `Item["id"]`). Blanking `import("./types").` leaves `Item[]`, a type it reads, same length.
# `.then` / `.catch` / `.finally` follow a dynamic import, which stays.
_IMPORT_TYPE = re.compile(
    rb"""\bimport\s*\(\s*(?:"[^"\n]*"|'[^'\n]*')\s*\)\s*\."""
    rb"""\s*(?!(?:then|catch|finally)\b)(?=[A-Za-z_$])"""
)


_MAX_REPAIRS = 8
_ENTITY = re.compile(rb"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);")


def _bare_ampersands(root: ts.Node, source: bytes) -> list[int]:
    """Offsets of ``&`` that JSX text would hold: just after a ``jsx_text`` node, or at the
    start of an ERROR node among a JSX element's children or in a JSX attribute's string, and
    not the start of a character reference (an ``&&`` in broken code elsewhere is left
    alone)."""
    found: set[int] = set()
    for node in walk(root):
        parent = node.parent
        if node.type == "jsx_text":
            offset = node.end_byte
        elif node.type == "ERROR" and parent is not None and parent.type == "jsx_element":
            offset = node.start_byte
        elif node.type == "ERROR" and _in_jsx_attribute_string(parent):
            offset = node.start_byte  # `src="/logo.svg?color=indigo&shade=600"`
        else:
            continue
        if source[offset : offset + 1] == b"&" and not _ENTITY.match(source, offset):
            found.add(offset)
    return sorted(found)


def _in_jsx_attribute_string(node: ts.Node | None) -> bool:
    return (
        node is not None
        and node.type == "string"
        and node.parent is not None
        and node.parent.type == "jsx_attribute"
    )


def _damage(root: ts.Node) -> int:
    """How much of a tree is in error: bytes under ERROR nodes, plus one per MISSING."""
    return sum(max(e.end_byte - e.start_byte, 1) for e in _errors(root))


def damaged_calls(root: ts.Node, tsx: bool) -> frozenset[int]:
    """Ids of the calls a syntax error makes unreadable: those inside an ERROR node, and
    those whose own function or arguments hold an ERROR or MISSING node (an error inside a
    function or JSX passed as an argument damages only the calls around it there)."""
    damaged: set[int] = set()
    for error in _errors(root):
        if error.type == "ERROR":
            damaged.update(call.id for call in calls_in(error, tsx))
        current = error.parent
        while current is not None and current.type not in _BOUNDARIES:
            if current.type == "call_expression":
                damaged.add(current.id)
                break
            current = current.parent
    return frozenset(damaged)


_BOUNDARIES = frozenset(
    {
        "statement_block",
        "arrow_function",
        "function_expression",
        "jsx_element",
        "jsx_self_closing_element",
        "program",
    }
)


def _errors(node: ts.Node) -> Iterator[ts.Node]:
    """The outermost ERROR nodes and every MISSING node, in source order."""
    if node.type == "ERROR" or node.is_missing:
        yield node
        return
    if node.has_error:
        for child in node.children:
            yield from _errors(child)


def error_lines(root: ts.Node) -> tuple[int, int] | None:
    """The first and last line (1-based) a syntax error covers, None for a clean tree."""
    errors = list(_errors(root))
    if not errors:
        return None
    return line(errors[0]), max(e.end_point[0] + 1 for e in errors)


def calls_in(node: ts.Node, tsx: bool) -> list[ts.Node]:
    """Every ``call_expression`` under ``node`` (itself included), in source order; ``tsx``
    names the grammar ``node`` was parsed with."""
    captures = ts.QueryCursor(_calls_query(tsx)).captures(node)
    return sorted(captures.get("call", []), key=lambda n: n.start_byte)


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
