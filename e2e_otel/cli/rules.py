"""``e2e-otel rules``: Prometheus recording and alerting rules from the thresholds."""

from __future__ import annotations

import argparse

from e2e_otel.cli.errors import command
from e2e_otel.cli.outputs import write_text
from e2e_otel.config import load_config


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("rules", help="write Prometheus alerting rules from the thresholds")
    parser.add_argument("--config", help="YAML file (default: $E2E_OTEL_CONFIG, else defaults)")
    parser.add_argument("-o", "--output", help="rule file to write (default: stdout)")
    parser.set_defaults(handler=run)


@command
def run(args: argparse.Namespace) -> int:
    from e2e_otel.stack.rules import render_rules

    text = render_rules(load_config(args.config))
    write_text(args.output or "-", text)  # "-" (the default): stdout
    return 0
