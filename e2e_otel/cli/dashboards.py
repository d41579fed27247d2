"""``e2e-otel dashboards``: the Grafana dashboards (JSON) for the thresholds of a config."""

from __future__ import annotations

import argparse
import os

from e2e_otel.cli.errors import command, missing_extra
from e2e_otel.cli.outputs import write_text
from e2e_otel.config import load_config


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("dashboards", help="write the Grafana dashboards (JSON)")
    parser.add_argument("--config", help="YAML file whose thresholds the panels show")
    parser.add_argument(
        "-o", "--output", default="grafana/dashboards", help="directory (default: %(default)s)"
    )
    parser.set_defaults(handler=run)


@command
def run(args: argparse.Namespace) -> int:
    try:
        from e2e_otel.stack.dashboards import render_dashboards
    except ImportError as exc:
        raise missing_extra(exc, "stack", " (Python >= 3.11)") from None
    for name, text in render_dashboards(load_config(args.config)).items():
        path = os.path.join(args.output, name)
        write_text(path, text)
        print(path)
    return 0
