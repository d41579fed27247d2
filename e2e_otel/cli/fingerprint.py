"""``e2e-otel fingerprint [SQL...]``: the fingerprint and id of SQL statements."""

from __future__ import annotations

import argparse
import sys

from e2e_otel.cli.errors import command


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("fingerprint", help="print the fingerprint and id of SQL statements")
    parser.add_argument("sql", nargs="*", help="statements (default: one per line on stdin)")
    parser.set_defaults(handler=run)


@command
def run(args: argparse.Namespace) -> int:
    from e2e_otel.sql.fingerprint import fingerprint, fingerprint_id

    lines = args.sql or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    for sql in lines:
        print(f"{fingerprint_id(sql)}\t{fingerprint(sql)}")
    return 0
