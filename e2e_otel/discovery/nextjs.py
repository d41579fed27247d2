"""``scan(path)``: a Next.js app's routes (App Router and Pages Router), the API calls its
code makes, and the routes each call is reachable from.

A file with a syntax error is listed in ``problems`` and scanned except for the calls the
error makes unreadable; its routes still count (they come from the file system). Files that
are not app source (``public/``, minified or service-worker bundles) are listed in
``skipped`` and not scanned unless ``include_vendored``; imports of them still resolve.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import replace
from pathlib import Path

import tree_sitter as ts

from e2e_otel.discovery import nextjs_handlers as handlers
from e2e_otel.discovery import tsparse
from e2e_otel.discovery.nextjs_calls import find_calls
from e2e_otel.discovery.nextjs_files import minified, not_source, source_files
from e2e_otel.discovery.nextjs_models import (
    ApiCall,
    Dependency,
    NextjsApp,
    NotNextjsAppError,
    Route,
    ScanProblem,
    SkippedFile,
)
from e2e_otel.discovery.nextjs_modules import Module, load_module
from e2e_otel.discovery.nextjs_project import Project, read_aliases
from e2e_otel.discovery.nextjs_routes import app_routes, find_router_dirs, pages_routes

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def scan(path: str | os.PathLike[str], include_vendored: bool = False) -> NextjsApp:
    """Scan the Next.js app at ``path``; raises ``NotNextjsAppError`` when it is missing or
    has no router directory. ``include_vendored`` scans ``public/``, minified and
    service-worker files too."""
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
    skipped: list[SkippedFile] = []
    for rel in source_files(root):
        reason = None if include_vendored else not_source(rel)
        try:
            source = b"" if reason is not None else (root / rel).read_bytes()
        except OSError as exc:
            problems.append(ScanProblem(rel, None, f"cannot read: {exc.strerror or exc}"))
            continue
        if reason is None and not include_vendored and minified(source):
            reason = "minified (very long lines)"
        if reason is not None:
            skipped.append(SkippedFile(rel, reason))
            modules[rel] = load_module(rel, b"")  # imports of it still resolve
            continue
        module = modules[rel] = load_module(rel, source)
        parsed.append(module)
        if module.errors is not None:
            problems.append(_syntax_problem(module))
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
        files=len(parsed),
        routes=tuple(sorted(completed, key=_route_order)),
        calls=found.calls,
        wrappers=found.wrappers,
        problems=tuple(problems),
        skipped=tuple(skipped),
    )


def _syntax_problem(module: Module) -> ScanProblem:
    first, last = module.errors or (0, 0)
    lines = f"line {first}" if first == last else f"lines {first}-{last}"
    lost = len(module.damaged)
    skipped = f" ({lost} call{'s' if lost != 1 else ''} there skipped)" if lost else ""
    message = f"syntax error in {lines}{skipped}; the rest of the file was scanned"
    return ScanProblem(module.rel, first, message, partial=True)


def _route_order(route: Route) -> tuple[str, str, str, str, str]:
    return (route.path, route.router, route.kind, route.slot or "", route.file)


class _Linker:
    """Fills in a route's methods, imports and reachable calls from its component file."""

    def __init__(self, project: Project, calls: tuple[ApiCall, ...]) -> None:
        self.project = project
        self.imports: dict[str, list[Module]] = {}  # the app modules each module imports
        self.calls_by_file: dict[str, list[str]] = {}
        for call in calls:
            self.calls_by_file.setdefault(call.file, []).append(call.location)

    def complete(self, route: Route) -> Route:
        module = self.project.modules.get(route.file)
        if module is None:
            return route
        methods: tuple[str, ...] = ()
        if route.kind == "api":
            if route.router == "app":
                found = _exported_methods(module)
            else:
                found = handlers.compared_methods(module.root) or handlers.delegated_methods(
                    self.project, module
                )
            methods = tuple(m for m in HTTP_METHODS if m in found)
        reachable = self._reachable(module)
        # One place may hold several calls (a URL chosen by a condition): listed once.
        calls = dict.fromkeys(loc for rel in reachable for loc in self.calls_by_file.get(rel, []))
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
            if module.rel not in self.imports:
                targets = (self.project.resolve(module, s) for s in module.specifiers)
                self.imports[module.rel] = [t for t in targets if t is not None]
            for target in self.imports[module.rel]:
                if target.rel not in seen:
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
