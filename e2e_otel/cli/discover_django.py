"""``e2e-otel discover django``: list a Django/DRF project's endpoints (a table on stdout, or
the JSON in ``--json``'s file, ``-`` for stdout).

Exit codes: 0 scanned; 2 one readable error line (the project could not be loaded, it
touched the database while being scanned, or the output could not be written).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from e2e_otel.cli.errors import command
from e2e_otel.cli.outputs import write_text
from e2e_otel.discovery.django_models import DjangoDiscovery, discovery_to_json


def add_parser(discover_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``django`` under the ``discover`` command's subparsers."""
    parser = discover_sub.add_parser(
        "django",
        help="list Django/DRF endpoints: routes, methods, serializers, auth and permissions",
        description="Import the project with its settings in a child Python process (never "
        "touching its database) and list every URL pattern with the view's methods, "
        "serializer field schemas and authentication/permission/throttle classes.",
    )
    parser.add_argument(
        "--django-settings",
        "--settings",
        dest="settings",
        required=True,
        metavar="MODULE",
        help="the project's settings module (as for map, validate and db health)",
    )
    add_project_arguments(parser)
    parser.add_argument(
        "--json", metavar="PATH", help="write the full result as JSON here (- = stdout)"
    )


def add_project_arguments(parser: argparse.ArgumentParser) -> None:
    """``--pythonpath`` and ``--python``: where a Django project imports from and runs."""
    parser.add_argument(
        "--pythonpath",
        action="append",
        default=[],
        metavar="DIR",
        help="directory the project imports from (repeatable; default: the current directory)",
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter of the project")


@command
def run(args: argparse.Namespace) -> int:
    """Scan; print the endpoint table, or write the JSON to ``--json`` (``-``: stdout)."""
    from e2e_otel.discovery.django import discover_django

    discovery = discover_django(
        args.settings, pythonpath=args.pythonpath or ["."], python=args.python
    )
    text = json.dumps(discovery_to_json(discovery), indent=2, sort_keys=True) + "\n"
    if args.json is None:
        sys.stdout.write(render_text(discovery))
    elif args.json == "-":
        sys.stdout.write(text)
    else:  # the file only, as discover nextjs does: stdout stays free for a pipe
        write_text(args.json, text)
    for warning in discovery.warnings:
        print(f"e2e-otel: warning: {warning}", file=sys.stderr)
    return 0


def render_text(discovery: DjangoDiscovery) -> str:
    """One line per operation: method, template, view (with the handler method or action of
    a class), serializer, permissions; a view without handler methods gets a line saying so."""
    lines = [f"{len(discovery.endpoints)} endpoints in {discovery.settings}"]
    for endpoint in discovery.endpoints:
        if not endpoint.operations:
            implicit = " ".join(endpoint.implicit_methods) or "nothing"
            lines.append(
                f"{'-':<7} /{endpoint.template:<40} {endpoint.view}  "
                f"no handler methods (answers {implicit})"
            )
        for op in endpoint.operations:
            serializers = [op.serializer] if op.serializer else op.handler_serializers
            # A function view's handler is the function itself, already named by ``view``.
            view = endpoint.view if endpoint.kind == "function" else f"{endpoint.view}.{op.handler}"
            lines.append(
                f"{op.method:<7} /{endpoint.template:<40} {view}  "
                f"serializer={_short(serializers)}  permissions={_short(op.permissions)}"
            )
    return "\n".join(lines) + "\n"


def _short(dotted: Sequence[str]) -> str:
    return ", ".join(name.rpartition(".")[2] for name in dotted) or "-"
