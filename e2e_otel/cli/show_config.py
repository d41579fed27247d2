"""``e2e-otel config [PATH]``: validate a configuration file and print it as JSON."""

from __future__ import annotations

import argparse
import dataclasses
import json

from e2e_otel.cli.errors import command
from e2e_otel.config import load_config


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("config", help="validate a configuration file and print it")
    parser.add_argument("path", nargs="?", help="YAML file (default: $E2E_OTEL_CONFIG)")
    parser.set_defaults(handler=run)


@command
def run(args: argparse.Namespace) -> int:
    config = load_config(args.path)
    print(json.dumps(dataclasses.asdict(config), indent=2, default=sorted))
    return 0
