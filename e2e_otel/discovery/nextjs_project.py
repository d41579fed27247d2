"""Name and import resolution across the app's modules: lexical lookup, exports (re-exports
followed) and import specifiers (relative paths, tsconfig/jsconfig ``baseUrl`` + ``paths``)."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

import tree_sitter as ts

from e2e_otel.discovery import tsparse
from e2e_otel.discovery.nextjs_modules import FUNCTIONS, Import, Module


@dataclass(frozen=True)
class Value:
    """A name bound to ``node`` (an initializer, function or class) in ``module``."""

    module: Module
    node: ts.Node


@dataclass(frozen=True)
class Param:
    """A function parameter (``path`` walks into a destructured or member-accessed value)."""

    function: ts.Node
    index: int
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class External:
    """A binding imported from a package (``axios``, ``swr``, ...), or a global."""

    source: str
    name: str
    path: tuple[str, ...] = ()


Binding = Value | Param | External
REST = "..."  # the path of a rest parameter (``...args``): the arguments from its index on


def _param_binding(function: ts.Node, name: str) -> Param | None:
    single = function.child_by_field_name("parameter")
    if single is not None:
        return Param(function, 0) if tsparse.text(single) == name else None
    params = function.child_by_field_name("parameters")
    for index, param in enumerate(params.named_children if params is not None else []):
        pattern = param.child_by_field_name("pattern") or param
        if pattern.type == "identifier" and tsparse.text(pattern) == name:
            return Param(function, index)
        if pattern.type == "rest_pattern" and tsparse.text(pattern)[3:].strip() == name:
            return Param(function, index, (REST,))
        if pattern.type == "array_pattern":
            for position, element in enumerate(pattern.named_children):
                if tsparse.text(element) == name:
                    return Param(function, index, (str(position),))
        if pattern.type == "object_pattern":
            for prop in pattern.named_children:
                key = prop.child_by_field_name("key") or prop
                value = prop.child_by_field_name("value") or prop
                if tsparse.text(value) == name:
                    return Param(function, index, (tsparse.text(key),))
    return None


def enclosing_functions(node: ts.Node) -> list[ts.Node]:
    """Function nodes around ``node``, innermost first."""
    found = []
    current = node.parent
    while current is not None:
        if current.type in FUNCTIONS:
            found.append(current)
        current = current.parent
    return found


def is_function(node: ts.Node) -> bool:
    """Whether ``node`` is a function, arrow function or method."""
    return node.type in FUNCTIONS


class Project:
    """All modules of one app and the rules to resolve names and imports between them."""

    def __init__(self, root: Path, modules: dict[str, Module], aliases: Aliases) -> None:
        self.root = root
        self.modules = modules
        self._aliases = aliases
        self._resolved: dict[tuple[str, str], Module | None] = {}
        self._exports: dict[tuple[str, str], Binding | None] = {}

    def lookup(self, module: Module, name: str, at: ts.Node) -> Binding | None:
        """What ``name`` means at ``at``: the nearest parameter or declaration, else an
        import, else None (a global)."""
        current: ts.Node | None = at
        while current is not None:
            if current.type in FUNCTIONS:
                param = _param_binding(current, name)
                if param is not None:
                    return param
            if current.type in ("program", "statement_block"):
                declared = module.declarations(current).get(name)
                if declared is not None:
                    return Value(module, declared)
            current = current.parent
        imported = module.imports.get(name)
        if imported is None:
            return None
        return self.imported(module, imported)

    def imported(self, module: Module, imported: Import, depth: int = 0) -> Binding | None:
        """The binding an import refers to: an app module's export or an ``External``."""
        target = self.resolve(module, imported.source)
        if target is None:
            return External(imported.source, imported.name)
        if imported.name == "*" or depth > 8:
            return Value(target, target.root)
        return self.exported(target, imported.name, depth + 1)

    def exported(self, module: Module, name: str, depth: int = 0) -> Binding | None:
        """The binding ``module`` exports as ``name`` (re-exports followed)."""
        key = (module.rel, name)
        if key not in self._exports:
            self._exports[key] = self._exported(module, name, depth)
        return self._exports[key]

    def _exported(self, module: Module, name: str, depth: int) -> Binding | None:
        for statement in module.root.named_children:
            if statement.type != "export_statement":
                continue
            source = statement.child_by_field_name("source")
            value = statement.child_by_field_name("value")
            if name == "default" and value is not None:
                if value.type == "identifier":
                    return self.lookup(module, tsparse.text(value), value)
                return Value(module, value)
            declaration = statement.child_by_field_name("declaration")
            if name == "default" and declaration is not None and _is_default(statement):
                return Value(module, declaration)
            for clause in statement.named_children:
                for spec in clause.named_children if clause.type == "export_clause" else []:
                    local = spec.child_by_field_name("name")
                    alias = spec.child_by_field_name("alias") or local
                    if local is None or alias is None or tsparse.text(alias) != name:
                        continue
                    local_name = tsparse.text(local)
                    if source is not None:
                        origin = tsparse.string_value(source) or ""
                        return self.imported(module, Import(origin, local_name), depth)
                    return self.lookup(module, local_name, spec)
        declared = module.declarations(module.root).get(name)
        return Value(module, declared) if declared is not None else None

    def resolve(self, module: Module, specifier: str) -> Module | None:
        """The app module an import specifier names, or None (a package, or not found)."""
        relative = specifier.startswith(".")
        key = (posixpath.dirname(module.rel) if relative else "", specifier)
        if key not in self._resolved:  # asked again for every name and route: remembered
            self._resolved[key] = self._resolve(key[0], specifier)
        return self._resolved[key]

    def _resolve(self, folder: str, specifier: str) -> Module | None:
        if specifier.startswith("."):
            candidates = [posixpath.join(folder, specifier)]
        else:
            candidates = self._aliases.expand(specifier)
        for candidate in candidates:
            base = posixpath.normpath(candidate)
            for rel in (base, *(base + s for s in tsparse.SOURCE_SUFFIXES)):
                if rel in self.modules:
                    return self.modules[rel]
            for suffix in tsparse.SOURCE_SUFFIXES:
                index = f"{base}/index{suffix}"
                if index in self.modules:
                    return self.modules[index]
        return None


def _is_default(statement: ts.Node) -> bool:
    return any(child.type == "default" for child in statement.children)


@dataclass(frozen=True)
class Aliases:
    """tsconfig/jsconfig ``compilerOptions.baseUrl`` and ``paths``, relative to the root."""

    base_url: str | None
    paths: tuple[tuple[str, tuple[str, ...]], ...]

    def expand(self, specifier: str) -> list[str]:
        """Root-relative candidates for a non-relative specifier (none for a package)."""
        base = self.base_url or "."
        found: list[str] = []
        for pattern, targets in self.paths:
            prefix, star, suffix = pattern.partition("*")
            if star and specifier.startswith(prefix) and specifier.endswith(suffix):
                middle = specifier[len(prefix) : len(specifier) - len(suffix)]
                found += [posixpath.join(base, t.replace("*", middle, 1)) for t in targets]
            elif not star and specifier == pattern:
                found += [posixpath.join(base, t) for t in targets]
        if self.base_url is not None:
            found.append(posixpath.join(base, specifier))
        return found


def read_aliases(root: Path) -> Aliases:
    """Read ``tsconfig.json`` (else ``jsconfig.json``); comments and trailing commas are
    fine. Missing or unreadable config: no aliases."""
    for name in ("tsconfig.json", "jsconfig.json"):
        path = root / name
        if not path.is_file():
            continue
        tree = tsparse.parse(b"(" + path.read_bytes() + b")", ".ts")
        statement = tree.root_node.named_children[0] if tree.root_node.named_children else None
        config = tsparse.literal(statement.named_children[0]) if statement else None
        options = config.get("compilerOptions") if isinstance(config, dict) else None
        if not isinstance(options, dict):
            return Aliases(None, ())
        base = options.get("baseUrl")
        paths = options.get("paths")
        pairs = tuple(
            (key, tuple(t for t in targets if isinstance(t, str)))
            for key, targets in (paths.items() if isinstance(paths, dict) else [])
            if isinstance(targets, list)
        )
        return Aliases(posixpath.normpath(base) if isinstance(base, str) else None, pairs)
    return Aliases(None, ())
