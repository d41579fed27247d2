"""The app's source files as modules: imports, exports, lexical name lookup and import
specifier resolution (relative paths and tsconfig/jsconfig ``baseUrl`` + ``paths``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter as ts

from e2e_otel.discovery import tsparse

_SKIPPED_DIRS = frozenset({"node_modules", "out", "build", "dist", "coverage"})
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
                elif inner.type in ("function_declaration", "class_declaration"):
                    name = inner.child_by_field_name("name")
                    if name is not None:
                        found[tsparse.text(name)] = inner
            self._scopes[scope.id] = found
        return found


def source_files(root: Path) -> list[str]:
    """Root-relative POSIX paths of the app's source files, sorted; dependency, build and
    hidden folders skipped."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in files:
            if name.endswith(tsparse.SOURCE_SUFFIXES) and not name.endswith(".d.ts"):
                found.append((Path(folder) / name).relative_to(root).as_posix())
    return sorted(found)


def load_module(rel: str, source: bytes) -> tuple[Module, int | None]:
    """Parse one file; the second item is the line of its first syntax error, if any."""
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
    for call in tsparse.calls_in(root, tsparse.is_tsx(suffix)):
        function, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
        if function is not None and function.type == "import" and args and args.named_children:
            specifiers.append(tsparse.string_value(args.named_children[0]) or "")
    error = tsparse.first_error(root)
    module = Module(rel, tsparse.is_tsx(suffix), tree, imports, tuple(s for s in specifiers if s))
    return module, None if error is None else tsparse.line(error)
