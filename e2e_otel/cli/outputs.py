"""Writing the command-line tools' output files, with one kind of readable error."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from e2e_otel.analyzers.models import Report
from e2e_otel.cli.errors import CommandError


class OutputError(CommandError):
    """A file could not be written; the message is one line naming the path and the reason."""


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path``, creating missing parent directories; ``-`` is stdout."""
    if os.fspath(path) == "-":
        sys.stdout.write(text)
        return
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None


def write_reports(report: Report, targets: Mapping[str, str | os.PathLike[str]]) -> None:
    """Render ``report`` in each format of ``targets`` (``json``, ``markdown``, ``html``) and
    write it to that format's path."""
    from e2e_otel.publish import render_html, render_json, render_markdown

    renderers = {"json": render_json, "markdown": render_markdown, "html": render_html}
    for name, path in targets.items():
        write_text(path, renderers[name](report))
