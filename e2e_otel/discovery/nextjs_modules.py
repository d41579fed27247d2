"""The app's source files as modules: imports, exports, lexical name lookup and import
specifier resolution (relative paths and tsconfig/jsconfig ``baseUrl`` + ``paths``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import tree_sitter as ts

from e2e_otel.discovery import tsparse

FUNCTIONS = frozenset(
    {
        "function_declaration",
        "function_expression",
        "arrow_function",
        "method_definition",
        "generator_function_declaration",
    }
)
_DECLARATIONS = ("lexical_declaration", "variable_declaration")


@dataclass(frozen=True)
class Import:
    """``name`` is the imported export (``default``, ``*`` or a named export)."""

    source: str
    name: str


@dataclass(eq=False)
class Module:
    """One parsed source file; ``rel`` is its POSIX path relative to the app root."""

    rel: str
    tsx: bool
    tree: ts.Tree
    imports: dict[str, Import]
    specifiers: tuple[str, ...]
    calls: tuple[ts.Node, ...] = ()  # every call expression, in source order
    damaged: frozenset[int] = frozenset()  # ids of calls a syntax error makes unreadable
    errors: tuple[int, int] | None = None  # first and last line of the syntax errors
    _scopes: dict[int, dict[str, ts.Node]] = field(default_factory=dict)

    @property
    def root(self) -> ts.Node:
        """The ``program`` node."""
        return self.tree.root_node

    def declarations(self, scope: ts.Node) -> dict[str, ts.Node]:
        """Names declared directly in a ``program`` or ``statement_block``: the initializer
        of ``const``/``let``/``var`` and the node of functions and classes."""
        found = self._scopes.get(scope.id)
        if found is None:
            found = {}
            for child in scope.named_children:
                inner = child.child_by_field_name("declaration") or child
                if inner.type in _DECLARATIONS:
                    for declarator in inner.named_children:
                        name = declarator.child_by_field_name("name")
                        value = declarator.child_by_field_name("value")
                        if name is not None and value is not None and name.type == "identifier":
                            found[tsparse.text(name)] = value
                        elif name is not None and value is not None:
                            _pattern_names(name, found)
                elif inner.type in ("function_declaration", "class_declaration"):
                    name = inner.child_by_field_name("name")
                    if name is not None:
                        found[tsparse.text(name)] = inner
            self._scopes[scope.id] = found
        return found


PATTERN_ELEMENTS = frozenset(
    {"shorthand_property_identifier_pattern", "pair_pattern", "object_assignment_pattern"}
)


def _pattern_names(pattern: ts.Node, found: dict[str, ts.Node]) -> None:
    """``const { a, b: c, d = 1, e: { f } } = init``: each name maps to its element of the
    object pattern (read with ``destructured``)."""
    if pattern.type != "object_pattern":
        return
    for element in pattern.named_children:
        if element.type == "shorthand_property_identifier_pattern":
            found[tsparse.text(element)] = element
        elif element.type == "object_assignment_pattern":
            left = element.child_by_field_name("left")
            if left is not None:
                found[tsparse.text(left)] = element
        elif element.type == "pair_pattern":
            value = element.child_by_field_name("value")
            if value is not None and value.type == "identifier":
                found[tsparse.text(value)] = element
            elif value is not None:
                _pattern_names(value, found)


def destructured(element: ts.Node) -> tuple[ts.Node, tuple[str, ...]] | None:
    """The initializer an object-pattern element reads from and the keys it walks:
    ``const { a: { b } } = init`` gives (``init``, (``a``, ``b``)) for ``b``."""
    path: list[str] = []
    current: ts.Node | None = element
    while current is not None and current.type in PATTERN_ELEMENTS:
        key = current.child_by_field_name("key") or current.child_by_field_name("left")
        key = key or current
        path.insert(0, tsparse.string_value(key) or tsparse.text(key))
        pattern = current.parent
        current = pattern.parent if pattern is not None else None
    if current is None or current.type != "variable_declarator":
        return None
    value = current.child_by_field_name("value")
    return (value, tuple(path)) if value is not None else None


def load_module(rel: str, source: bytes) -> Module:
    """Parse one file. Its syntax errors, if any, are in ``errors`` and ``damaged``: the
    rest of the file is read as usual."""
    suffix = os.path.splitext(rel)[1]
    tree = tsparse.parse(source, suffix)
    root = tree.root_node
    imports: dict[str, Import] = {}
    specifiers: list[str] = []
    for statement in root.named_children:
        source_node = statement.child_by_field_name("source")
        if statement.type not in ("import_statement", "export_statement") or not source_node:
            continue
        origin = tsparse.string_value(source_node) or ""
        specifiers.append(origin)
        clause = next((c for c in statement.named_children if c.type == "import_clause"), None)
        for part in clause.named_children if clause is not None else []:
            if part.type == "identifier":
                imports[tsparse.text(part)] = Import(origin, "default")
            elif part.type == "namespace_import" and part.named_children:
                imports[tsparse.text(part.named_children[0])] = Import(origin, "*")
            for spec in part.named_children if part.type == "named_imports" else []:
                name = spec.child_by_field_name("name")
                alias = spec.child_by_field_name("alias") or name
                if name is not None and alias is not None:
                    imports[tsparse.text(alias)] = Import(origin, tsparse.text(name))
    tsx = tsparse.is_tsx(suffix)
    calls = tsparse.calls_in(root, tsx)
    for call in calls:
        function, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
        if function is not None and function.type == "import" and args and args.named_children:
            specifiers.append(tsparse.string_value(args.named_children[0]) or "")
    errors = tsparse.error_lines(root)
    damaged = tsparse.damaged_calls(root, tsx) if errors is not None else frozenset()
    kept = tuple(s for s in specifiers if s)
    return Module(rel, tsx, tree, imports, kept, tuple(calls), damaged, errors)
