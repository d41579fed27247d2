"""``scan(path)``: a Next.js app's routes (App Router and Pages Router), the API calls its
code makes, and the routes each call is reachable from.

A file that does not parse is listed in ``problems``; its routes still count (they come from
the file system) but its calls are not reported, and every other file is scanned as usual.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import replace
from pathlib import Path

import tree_sitter as ts

from e2e_otel.discovery import tsparse
from e2e_otel.discovery.nextjs_calls import find_calls
from e2e_otel.discovery.nextjs_models import (
    ApiCall,
    Dependency,
    NextjsApp,
    NotNextjsAppError,
    Route,
    ScanProblem,
)
from e2e_otel.discovery.nextjs_modules import Module, load_module, source_files
from e2e_otel.discovery.nextjs_project import Project, read_aliases
from e2e_otel.discovery.nextjs_routes import app_routes, find_router_dirs, pages_routes

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def scan(path: str | os.PathLike[str]) -> NextjsApp:
    """Scan the Next.js app at ``path``; raises ``NotNextjsAppError`` when it is missing or
    has no router directory."""
    root = Path(path)
    if not root.is_dir():
        raise NotNextjsAppError(str(path), "no such directory")
    dirs = find_router_dirs(root)
    if dirs.app is None and dirs.pages is None:
        raise NotNextjsAppError(
            str(path), "not a Next.js app (no app/, src/app/, pages/ or src/pages/ directory)"
        )
    modules: dict[str, Module] = {}
    parsed: list[Module] = []
    problems: list[ScanProblem] = []
    for rel in source_files(root):
        try:
            source = (root / rel).read_bytes()
        except OSError as exc:
            problems.append(ScanProblem(rel, None, f"cannot read: {exc.strerror or exc}"))
            continue
        module, error_line = load_module(rel, source)
        modules[rel] = module
        if error_line is None:
            parsed.append(module)
        else:
            problems.append(ScanProblem(rel, error_line, "syntax error; its calls are skipped"))
    project = Project(root, modules, read_aliases(root))
    found = find_calls(project, parsed)
    routes = app_routes(root, dirs.app) if dirs.app else []
    routes += pages_routes(root, dirs.pages) if dirs.pages else []
    linker = _Linker(project, found.calls)
    completed = [linker.complete(route) for route in routes]
    return NextjsApp(
        root=str(path),
        app_dir=dirs.app,
        pages_dir=dirs.pages,
        files=len(modules),
        routes=tuple(sorted(completed, key=_route_order)),
        calls=found.calls,
        wrappers=found.wrappers,
        problems=tuple(problems),
    )


def _route_order(route: Route) -> tuple[str, str, str, str, str]:
    return (route.path, route.router, route.kind, route.slot or "", route.file)


class _Linker:
    """Fills in a route's methods, imports and reachable calls from its component file."""

    def __init__(self, project: Project, calls: tuple[ApiCall, ...]) -> None:
        self.project = project
        self.calls_by_file: dict[str, list[str]] = {}
        for call in calls:
            self.calls_by_file.setdefault(call.file, []).append(call.location)

    def complete(self, route: Route) -> Route:
        module = self.project.modules.get(route.file)
        if module is None:
            return route
        methods: tuple[str, ...] = ()
        if route.kind == "api":
            found = (
                _exported_methods(module) if route.router == "app" else _compared_methods(module)
            )
            methods = tuple(m for m in HTTP_METHODS if m in found)
        calls = [loc for rel in self._reachable(module) for loc in self.calls_by_file.get(rel, [])]
        return replace(
            route,
            methods=methods,
            dependencies=tuple(self._dependencies(module)),
            calls=tuple(calls),
        )

    def _dependencies(self, module: Module) -> list[Dependency]:
        seen: dict[str, Dependency] = {}
        for specifier in module.specifiers:
            target = self.project.resolve(module, specifier)
            seen.setdefault(specifier, Dependency(specifier, target.rel if target else None))
        return list(seen.values())

    def _reachable(self, start: Module) -> list[str]:
        """The module and every app module it imports, transitively, sorted."""
        seen = {start.rel}
        queue = deque([start])
        while queue:
            module = queue.popleft()
            for specifier in module.specifiers:
                target = self.project.resolve(module, specifier)
                if target is not None and target.rel not in seen:
                    seen.add(target.rel)
                    queue.append(target)
        return sorted(seen)


def _exported_methods(module: Module) -> set[str]:
    """Route handlers: ``export async function GET``, ``export const POST = ...``,
    ``export { handler as PUT }``."""
    names: set[str] = set()
    for statement in module.root.named_children:
        if statement.type != "export_statement":
            continue
        declaration = statement.child_by_field_name("declaration")
        nodes: list[ts.Node] = []
        if declaration is not None and declaration.type == "function_declaration":
            nodes.append(declaration)
        elif declaration is not None:
            nodes += declaration.named_children
        for clause in statement.named_children:
            if clause.type == "export_clause":
                nodes += clause.named_children
        for node in nodes:
            name = node.child_by_field_name("alias") or node.child_by_field_name("name")
            if name is not None:
                names.add(tsparse.text(name))
    return names


def _compared_methods(module: Module) -> set[str]:
    """Pages API handlers branch on ``req.method``: ``=== "POST"`` and ``case "GET":``."""
    names: set[str] = set()
    for node in tsparse.walk(module.root):
        if node.type == "binary_expression":
            sides = [node.child_by_field_name("left"), node.child_by_field_name("right")]
            if any(s is not None and _is_method_read(s) for s in sides):
                names.update(tsparse.string_value(s) or "" for s in sides if s is not None)
        elif node.type == "switch_statement":
            value = node.child_by_field_name("value")
            body = node.child_by_field_name("body")
            if value is not None and body is not None and _is_method_read(tsparse.unwrap(value)):
                for case in body.named_children:
                    test = case.child_by_field_name("value")
                    names.add(tsparse.string_value(test) or "" if test is not None else "")
    return names


def _is_method_read(node: ts.Node) -> bool:
    prop = node.child_by_field_name("property")
    return node.type == "member_expression" and prop is not None and tsparse.text(prop) == "method"
