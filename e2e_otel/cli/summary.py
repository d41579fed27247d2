"""``e2e-otel summary FILES``: a first look at OTLP JSON trace files — spans per workflow and
layer, error categories, and statement shapes by total time. Kept beside ``analyze`` because it
needs none of the analyzer's extras (a traced app's own install can run it); the analyzers build
the full report on the same records."""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from e2e_otel import attributes as attr
from e2e_otel.cli.errors import CommandError, command
from e2e_otel.sources.models import SpanRecord


@dataclass
class FingerprintStats:
    fingerprint: str
    calls: int = 0
    total_ms: float = 0.0


@dataclass
class Summary:
    spans: int = 0
    traces: set[str] = field(default_factory=set)
    by_workflow_layer: Counter[tuple[str, str]] = field(default_factory=Counter)
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    fingerprints: dict[str, FingerprintStats] = field(default_factory=dict)

    def top_fingerprints(self, n: int = 5) -> list[tuple[str, FingerprintStats]]:
        ranked = sorted(self.fingerprints.items(), key=lambda kv: (-kv[1].total_ms, kv[0]))
        return ranked[:n]


def summarize(spans: Iterable[SpanRecord]) -> Summary:
    summary = Summary()
    stats: dict[str, FingerprintStats] = defaultdict(lambda: FingerprintStats(""))
    for span in spans:
        summary.spans += 1
        summary.traces.add(span.trace_id)
        workflow = str(span.attr(attr.WORKFLOW_TYPE) or "-")
        layer = str(span.attr(attr.LAYER) or "-")
        summary.by_workflow_layer[(workflow, layer)] += 1
        category = span.attr(attr.ERROR_CATEGORY)
        if category:
            summary.errors[(workflow, str(category))] += 1
        fp_id = span.attr(attr.DB_FINGERPRINT_ID)
        if isinstance(fp_id, str):
            entry = stats[fp_id]
            entry.fingerprint = str(span.attr(attr.DB_FINGERPRINT) or "")
            entry.calls += 1
            entry.total_ms += span.duration_ms
    summary.fingerprints = dict(stats)
    return summary


def render(summary: Summary) -> str:
    lines = [f"{summary.spans} spans in {len(summary.traces)} traces", "", "workflow / layer spans"]
    for (workflow, layer), count in sorted(summary.by_workflow_layer.items()):
        lines.append(f"  {workflow:<20} {layer:<10} {count:>7}")
    if summary.errors:
        lines += ["", "errors by workflow / category"]
        for (workflow, category), count in sorted(summary.errors.items()):
            lines.append(f"  {workflow:<20} {category:<20} {count:>7}")
    if summary.fingerprints:
        lines += ["", "top statement shapes by total time"]
        for fp_id, stats in summary.top_fingerprints():
            text = (
                stats.fingerprint
                if len(stats.fingerprint) <= 90
                else stats.fingerprint[:87] + "..."
            )
            lines.append(f"  {fp_id} {stats.total_ms:9.1f} ms {stats.calls:6} calls  {text}")
    return "\n".join(lines)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "summary",
        help="count spans per workflow and layer in OTLP JSON files (no analyzer extras needed)",
    )
    parser.add_argument(
        "files", nargs="+", help="OTLP JSON files, or directories of them (.json, .jsonl, .gz)"
    )
    parser.set_defaults(handler=run)


@command
def run(args: argparse.Namespace) -> int:
    from e2e_otel.sources.models import InputProblem
    from e2e_otel.sources.otlp_files import input_files, read_spans

    try:
        paths = input_files(args.files)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    problems: list[InputProblem] = []
    result = summarize(read_spans(paths, problems.append))
    print(render(result))
    for problem in problems:
        print(f"e2e-otel: warning: {problem}", file=sys.stderr)
    if result.spans == 0:
        raise CommandError("no spans found in " + ", ".join(args.files))
    return 0
