"""Which files of an app are its source: dependency, build and hidden folders are never
walked; files that are in the tree but are not code the app's authors wrote (the ``public/``
folder, minified and service-worker bundles) are set aside unless asked for."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from e2e_otel.discovery import tsparse

_SKIPPED_DIRS = frozenset({"node_modules", "out", "build", "dist", "coverage"})
# Build output copied into the tree: next-pwa / workbox / serwist service workers and
# minified vendor files.
_BUNDLE_NAMES = (
    "*.min.js",
    "*.min.mjs",
    "*.min.cjs",
    "*.bundle.js",
    "sw.js",
    "service-worker.js",
    "workbox-*.js",
)
# A minified file: a line this long and long lines on average (a long SVG path or data URI
# in an ordinary component does not raise the average that far).
LONG_LINE = 2_000
_MEAN_LINE = 500


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


def not_source(rel: str) -> str | None:
    """Why the file at ``rel`` is not app source judging by its path, or None."""
    if rel.startswith("public/"):
        return "in public/ (served as is)"
    name = rel.rsplit("/", 1)[-1]
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in _BUNDLE_NAMES):
        return "bundle or service worker"
    return None


def minified(source: bytes) -> bool:
    """Whether ``source`` looks minified: a very long line and long lines on average."""
    lines = source.count(b"\n") + 1
    if len(source) / lines < _MEAN_LINE:
        return False
    return max(len(line) for line in source.split(b"\n")) >= LONG_LINE
