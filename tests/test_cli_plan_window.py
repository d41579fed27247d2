"""``--window``/``--baseline`` belong to the backends: with OTLP files (analyzed over their whole
time range) they are refused in one line instead of being silently ignored."""

from __future__ import annotations

import pytest

from e2e_otel.cli.main import build_parser
from e2e_otel.cli.plan import AnalyzeError, plan_from_args


def _plan(*flags: str) -> str:
    args = build_parser().parse_args(["analyze", "traces.jsonl", "--quiet", *flags])
    return plan_from_args(args, progress=lambda: None).source


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (("--window", "nonsense"), "--window"),
        (("--window", "1h"), "--window"),  # even the backends' default, given explicitly
        (("--baseline", "2h"), "--baseline"),
        (("--window", "15m", "--baseline", "2h"), "--window/--baseline"),
    ],
)
def test_window_and_baseline_are_refused_for_files(flags: tuple[str, ...], named: str) -> None:
    with pytest.raises(AnalyzeError, match=f"^{named} apply to the backends"):
        _plan(*flags)


def test_files_without_window_flags_are_planned() -> None:
    assert _plan() == "traces.jsonl"


def test_the_backends_keep_their_default_window() -> None:
    args = build_parser().parse_args(["analyze", "--prometheus", "http://127.0.0.1:9"])
    plan = plan_from_args(args, progress=lambda: None)
    assert "(1h window, 24h baseline)" in plan.source
