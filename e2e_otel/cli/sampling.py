"""``e2e-otel sampling``: the sampling tier's collector config from the thresholds."""

from __future__ import annotations

import argparse

from e2e_otel.cli.errors import command
from e2e_otel.cli.outputs import write_text
from e2e_otel.config import load_config


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "sampling",
        help="write the tail-sampling collector config of a scaled-out stack from the thresholds",
        description=(
            "The sampling tier's collector config (docs/scaling.md): keeps every trace with an "
            "error, over the api warning threshold or with N+1-sized query counts, plus "
            "$E2E_OTELCOL_SAMPLING_PERCENT %% of the rest."
        ),
    )
    parser.add_argument("--config", help="YAML file (default: $E2E_OTEL_CONFIG, else defaults)")
    parser.add_argument("-o", "--output", help="collector config to write (default: stdout)")
    parser.set_defaults(handler=run)


@command
def run(args: argparse.Namespace) -> int:
    from e2e_otel.stack.sampling import render_sampler_config

    text = render_sampler_config(load_config(args.config))
    write_text(args.output or "-", text)  # "-" (the default): stdout
    return 0
