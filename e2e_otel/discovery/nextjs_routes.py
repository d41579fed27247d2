"""Next.js file-system routing: which files are pages, API handlers and layouts, and at
which URL. Reads directory names only; file contents are the scanner's business.

App Router (``app/``): ``page`` / ``route`` / ``layout`` files; ``(group)`` folders and
``@slot`` folders add no segment; ``_private`` folders are skipped; ``%5F`` stands for a
literal leading underscore; ``(.)``/``(..)``/``(..)(..)``/``(...)`` folders intercept a URL
relative to the route segments above them (groups and slots do not count). Pages Router
(``pages/``): every page file is a route, ``index`` is its folder's URL, ``pages/api/**``
are API routes, ``_app``/``_document``/``_error`` at the top are not routes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from e2e_otel.discovery.nextjs_models import Route, RouteKind, Router, Segment

PAGE_SUFFIXES = (".tsx", ".ts", ".jsx", ".js")
_APP_FILES: dict[str, RouteKind] = {"page": "page", "route": "api", "layout": "layout"}
_PAGES_SPECIAL = frozenset({"_app", "_document", "_error"})
_INTERCEPT_MARKERS = ("(...)", "(..)", "(.)")


@dataclass(frozen=True)
class RouterDirs:
    """The router directories of an app, relative to its root (None when absent)."""

    app: str | None
    pages: str | None


def find_router_dirs(root: Path) -> RouterDirs:
    """As in Next.js: ``app``/``pages`` at the root, else under ``src/`` (an ``app`` or
    ``pages`` folder at the root makes Next.js ignore ``src/app`` and ``src/pages``)."""
    at_root = (root / "app").is_dir() or (root / "pages").is_dir()
    prefix = "" if at_root else "src/"

    def pick(name: str) -> str | None:
        return prefix + name if (root / prefix / name).is_dir() else None

    return RouterDirs(app=pick("app"), pages=pick("pages"))


def segment_of(name: str) -> Segment:
    """The segment a folder (App Router) or file stem (Pages Router) stands for."""
    if name.startswith("[[...") and name.endswith("]]"):
        return Segment("optional_catch_all", name[5:-2])
    if name.startswith("[...") and name.endswith("]"):
        return Segment("catch_all", name[4:-1])
    if name.startswith("[") and name.endswith("]"):
        return Segment("dynamic", name[1:-1])
    if name.startswith("%5F"):
        return Segment("static", "_" + name[3:])
    return Segment("static", name)


def url_of(segments: tuple[Segment, ...]) -> str:
    """Next.js notation: ``/shop/[category]/[...rest]``."""
    shapes = {"static": "{}", "dynamic": "[{}]", "catch_all": "[...{}]"}
    parts = [shapes.get(s.kind, "[[...{}]]").format(s.name) for s in segments]
    return "/" + "/".join(parts)


def _split_interception(name: str) -> tuple[str, str] | None:
    """``(..)(..)photo`` -> (``(..)(..)``, ``photo``); None for an ordinary folder."""
    marker = ""
    rest = name
    while True:
        step = next((m for m in _INTERCEPT_MARKERS if rest.startswith(m)), None)
        if step is None or (marker and step != "(..)"):
            break
        marker += step
        rest = rest[len(step) :]
    return (marker, rest) if marker and rest else None


def _intercepted(parent: tuple[Segment, ...], marker: str) -> tuple[Segment, ...]:
    if marker == "(...)":
        return ()
    levels = marker.count("(..)")
    return parent[: len(parent) - levels] if levels else parent


def app_routes(root: Path, app_dir: str) -> list[Route]:
    """Routes of the App Router directory ``app_dir`` (relative to ``root``)."""
    routes: list[Route] = []
    _walk_app(root, root / app_dir, (), None, None, routes)
    return routes


def _walk_app(
    root: Path,
    folder: Path,
    segments: tuple[Segment, ...],
    slot: str | None,
    intercepts: str | None,
    routes: list[Route],
) -> None:
    entries = sorted(os.scandir(folder), key=lambda e: e.name)
    for entry in entries:
        stem, suffix = os.path.splitext(entry.name)
        if entry.is_file() and suffix in PAGE_SUFFIXES and stem in _APP_FILES:
            kind = _APP_FILES[stem]
            routes.append(
                Route(
                    path=url_of(segments),
                    router="app",
                    kind=kind,
                    file=Path(entry.path).relative_to(root).as_posix(),
                    segments=segments,
                    slot=slot,
                    intercepts=intercepts,
                )
            )
    for entry in entries:
        name = entry.name
        if not entry.is_dir() or name.startswith(("_", ".")):
            continue
        interception = _split_interception(name)
        if interception is not None:
            marker, rest = interception
            below = (*_intercepted(segments, marker), segment_of(rest))
            _walk_app(root, Path(entry.path), below, slot, marker, routes)
        elif name.startswith("@"):
            _walk_app(root, Path(entry.path), segments, name[1:], intercepts, routes)
        elif name.startswith("(") and name.endswith(")"):
            _walk_app(root, Path(entry.path), segments, slot, intercepts, routes)
        else:
            below = (*segments, segment_of(name))
            _walk_app(root, Path(entry.path), below, slot, intercepts, routes)


def pages_routes(root: Path, pages_dir: str) -> list[Route]:
    """Routes of the Pages Router directory ``pages_dir`` (relative to ``root``)."""
    base = root / pages_dir
    routes: list[Route] = []
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        here = Path(folder)
        folder_parts = here.relative_to(base).parts
        for name in sorted(files):
            stem, suffix = os.path.splitext(name)
            if suffix not in PAGE_SUFFIXES or stem.endswith(".d"):
                continue
            if not folder_parts and stem in _PAGES_SPECIAL:
                continue
            parts = folder_parts if stem == "index" else (*folder_parts, stem)
            segments = tuple(segment_of(p) for p in parts)
            router: Router = "pages"
            routes.append(
                Route(
                    path=url_of(segments),
                    router=router,
                    kind="api" if folder_parts[:1] == ("api",) else "page",
                    file=(here / name).relative_to(root).as_posix(),
                    segments=segments,
                )
            )
    return routes
