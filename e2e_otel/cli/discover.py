"""``e2e-otel discover``: what an app's code says about its routes and API calls, read
statically (nothing is built or run).

``discover nextjs PATH [--json OUT] [--include-vendored]`` scans a Next.js app: a readable
summary on stdout, or the full result as JSON in ``OUT`` (``-`` for stdout). Exit codes: 0
scanned (files with syntax errors are warnings on stderr); 2 one error line (missing
directory, not a Next.js app, unwritable output). Each scanner is a sub-command of
``discover`` registered in ``add_parser``; it stores its runner as ``args.discover``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence

from e2e_otel.cli.errors import CommandError, command
from e2e_otel.cli.outputs import write_text
from e2e_otel.discovery.nextjs_models import (
    NextjsApp,
    Route,
    UrlBase,
    UrlTemplate,
    to_dict,
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``discover`` and its scanners on the top-level sub-command set."""
    parser = sub.add_parser(
        "discover",
        help="list an app's routes and API calls from its source (nextjs, django)",
        description="Read an app's source and list its routes and the API calls it makes.",
    )
    parser.set_defaults(discover=None)
    scanners = parser.add_subparsers(dest="scanner", metavar="SCANNER")
    add_nextjs_parser(scanners)
    from e2e_otel.cli import discover_django as cli_discover_django

    cli_discover_django.add_parser(scanners)
    scanners.choices["django"].set_defaults(discover=cli_discover_django.run)
    parser.set_defaults(handler=run)


def add_nextjs_parser(scanners: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``discover nextjs``."""
    nextjs = scanners.add_parser(
        "nextjs",
        help="Next.js routes (App and Pages Router) and their fetch/axios/SWR/React Query calls",
        description="Scan a Next.js app: routes from app/ and pages/ (or src/...), and every "
        "API call with its method, URL template, base URL and credentials.",
    )
    nextjs.add_argument("path", help="the app's directory (where package.json is)")
    nextjs.add_argument("--json", metavar="PATH", help="write the result as JSON here (- = stdout)")
    nextjs.add_argument(
        "--include-vendored",
        action="store_true",
        help="also scan public/, minified (*.min.js, very long lines) and service-worker "
        "files (sw.js, workbox-*.js), skipped by default",
    )
    nextjs.set_defaults(discover=run_nextjs)


@command
def run(args: argparse.Namespace) -> int:
    """Run the scanner the command line chose."""
    if args.discover is None:
        raise CommandError("discover needs a scanner: nextjs or django")
    code: int = args.discover(args)
    return code


@command
def run_nextjs(args: argparse.Namespace) -> int:
    """``discover nextjs``."""
    from e2e_otel.discovery.nextjs import scan  # tree-sitter loads only when a scan runs

    started = time.perf_counter()
    app = scan(args.path, include_vendored=args.include_vendored)
    elapsed = time.perf_counter() - started
    if args.json is None:
        sys.stdout.write(render_nextjs(app))
    elif args.json == "-":
        sys.stdout.write(json.dumps(to_dict(app), indent=2) + "\n")
    else:
        write_text(args.json, json.dumps(to_dict(app), indent=2) + "\n")
    for problem in app.problems:
        print(f"e2e-otel: warning: {problem}", file=sys.stderr)
    rate = f" ({app.files / elapsed:.0f} files/s)" if elapsed > 0 else ""
    print(
        f"e2e-otel: {app.files} files in {elapsed:.2f} s{rate}: {len(app.routes)} routes, "
        f"{len(app.calls)} API calls; {_file_counts(app)}",
        file=sys.stderr,
    )
    return 0


def render_nextjs(app: NextjsApp) -> str:
    """The human-readable summary: routes, API calls, wrappers, problems."""
    routers = ", ".join(
        f"{name}: {where}"
        for name, where in (("app", app.app_dir), ("pages", app.pages_dir))
        if where
    )
    out = [f"Next.js app {app.root} ({routers}), {app.files} source files scanned"]
    out += [f"Files: {_file_counts(app)}", ""]
    out += _table(
        f"Routes ({len(app.routes)})",
        ("KIND", "ROUTER", "PATH", "FILE", "NOTES"),
        ((r.kind, r.router, r.path, r.file, _route_notes(r)) for r in app.routes),
    )
    out += _table(
        f"API calls ({len(app.calls)})",
        ("LOCATION", "METHOD", "URL", "BASE", "CREDENTIALS", "VIA"),
        (
            (
                c.location,
                c.method or "?",
                _url(c.url) + (f"  (when {c.condition})" if c.condition else ""),
                _base(c.url.base),
                _credentials(c.credentials, c.credentials_via),
                " > ".join((*c.via, c.client)) if c.via else c.client,
            )
            for c in app.calls
        ),
    )
    out += _table(
        f"Wrappers ({len(app.wrappers)})",
        ("LOCATION", "NAME", "CLIENT", "BASE", "USES"),
        (
            (f"{w.file}:{w.line}", w.name, w.client, _base(w.url.base), str(w.uses))
            for w in app.wrappers
        ),
    )
    if app.problems:
        out += [f"Problems ({len(app.problems)})", *(f"  {p}" for p in app.problems), ""]
    if app.skipped:
        reasons = Counter(skipped.reason for skipped in app.skipped)
        out += [
            f"Not scanned as app source ({len(app.skipped)}; --include-vendored scans them)",
            *(f"  {count} {reason}" for reason, count in sorted(reasons.items())),
            "",
        ]
    return "\n".join(out)


def _file_counts(app: NextjsApp) -> str:
    counts = app.counts()
    return (
        f"{counts['partially_read']} partially read (syntax errors), "
        f"{counts['unreadable']} unreadable, "
        f"{counts['skipped_not_source']} skipped as not app source"
    )


def _table(title: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    body = [tuple(row) for row in rows]
    if not body:
        return [f"{title}: none", ""]
    widths = [max(len(row[i]) for row in (tuple(header), *body)) for i in range(len(header))]
    lines = [title]
    for row in (tuple(header), *body):
        lines.append(
            "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        )
    return [*lines, ""]


def _route_notes(route: Route) -> str:
    notes = [" ".join(route.methods)] if route.methods else []
    if route.slot:
        notes.append(f"slot @{route.slot}")
    if route.intercepts:
        notes.append(f"intercepts {route.intercepts}")
    if route.calls:
        notes.append(f"calls: {len(route.calls)}")
    return ", ".join(notes)


def _url(url: UrlTemplate) -> str:
    if not url.resolved:
        return f"unresolved: {url.expression}"
    return url.path + (f"?{url.query}" if url.query is not None else "") if url.path else ""


def _base(base: UrlBase | None) -> str:
    if base is None:
        return "-"
    if base.env is not None:
        return f"${base.env}" + (f" ?? {base.literal}" if base.literal else "")
    return base.literal or base.expression


def _credentials(sent: bool | None, how: Sequence[str]) -> str:
    if sent is None:
        return "unknown"
    return ", ".join(how) if sent else "none"
