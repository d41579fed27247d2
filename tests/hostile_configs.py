"""Hostile configuration files, shared by the loader tests and the distro's subprocess tests."""

from __future__ import annotations

import os
from pathlib import Path

KINDS = ("alias_bomb", "binary", "deep", "directory", "fifo", "oversize")


def alias_bomb() -> str:
    """ "Billion laughs": 9 levels of 9 aliases, 9**9 strings once expanded."""
    lines = ['    a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"    {cur}: &{cur} [{', '.join([f'*{prev}'] * 9)}]")
    return "analyzers:\n  bomb:\n" + "\n".join(lines) + "\n"


def deep_nesting(levels: int = 20_000) -> str:
    return "analyzers: {x: {y: " + "[" * levels + "]" * levels + "}}\n"


def hostile_file(kind: str, directory: Path) -> Path:
    """A file of ``kind`` (one of :data:`KINDS`) in ``directory``."""
    path = directory / f"{kind}.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "oversize":
        with path.open("wb") as f:  # sparse: 50 MB without writing 50 MB
            f.truncate(50 * 1024 * 1024)
    elif kind == "binary":
        path.write_bytes(bytes(range(256)) * 16)
    elif kind == "alias_bomb":
        path.write_text(alias_bomb())
    elif kind == "deep":
        path.write_text(deep_nesting())
    else:
        raise ValueError(kind)
    return path
