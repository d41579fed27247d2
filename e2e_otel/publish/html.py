"""The report as one self-contained HTML file: inline CSS and SVG charts, no scripts and no
external resources, so it opens offline and can be attached to a CI run as is.

Every value that comes from telemetry is HTML-escaped.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from html import escape
from typing import Any, NamedTuple

from e2e_otel.analyzers.models import Recommendation, Report, Section, SeriesChart
from e2e_otel.publish._format import (
    evidence_fields,
    figure_items,
    format_cell,
    format_number,
    format_saving,
    format_window,
    priority_counts,
    ranked,
    sampling_note,
    shorten,
    verdict,
)
from e2e_otel.publish._html_style import CSS
from e2e_otel.publish.charts import svg_bar_chart, svg_line_chart
from e2e_otel.publish.json_report import iso_utc, sorted_recommendations

__all__ = ["TopBars", "render_html", "top_bars"]

SLOW_QUERIES = "slow_queries"
# Cells longer than this show their start and expand on click.
LONG_CELL = 140


def _norm(column: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", column.lower()).strip("_")


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _slow_query_bars(section: Section, top: int) -> list[tuple[str, float]]:
    names = [_norm(c) for c in section.columns]
    value_col = next((i for i, n in enumerate(names) if n.startswith("total")), None)
    label_col = next(
        (
            names.index(n)
            for n in ("fingerprint", "statement", "query", "fingerprint_id")
            if n in names
        ),
        None,
    )
    if value_col is None or label_col is None:
        return []
    bars = [
        (str(row[label_col]), float(row[value_col]))
        for row in section.rows
        if len(row) == len(names) and _numeric(row[value_col]) and math.isfinite(row[value_col])
    ]
    return sorted(bars, key=lambda bar: -bar[1])[:top]


class TopBars(NamedTuple):
    """What the top-N bar chart shows."""

    title: str
    unit: str
    bars: list[tuple[str, float]]  # (label, value), largest first


def top_bars(report: Report, top: int = 10) -> TopBars:
    """The report's top-N chart: statement shapes by total time from the ``slow_queries``
    section (its first ``total…`` column against its ``fingerprint``, ``statement``, ``query``
    or ``fingerprint_id`` column) when present, else recommendations by expected saving."""
    for section in report.sections:
        if section.name == SLOW_QUERIES and (bars := _slow_query_bars(section, top)):
            return TopBars(f"Top {len(bars)} statement shapes by total time", "ms", bars)
    recs = [
        (rec.title, rec.expected_improvement_ms)
        for rec in sorted_recommendations(report)
        if rec.expected_improvement_ms is not None and rec.expected_improvement_ms > 0
    ]
    bars = sorted(recs, key=lambda bar: -bar[1])[:top]
    title = f"Top {len(bars)} recommendations by expected saving per request"
    return TopBars(title, "ms/request", bars)


def _header(report: Report) -> str:
    counts = priority_counts(report)
    classes = "verdict" + (" has-high" if counts["high"] else "")
    classes += "" if report.complete else " incomplete"
    badges = "".join(
        f'<span class="badge {p if n else "zero"}">{n} {p}</span>' for p, n in counts.items()
    )
    state = "complete" if report.complete else "incomplete"
    badges += f'<span class="badge state {state}">{state}</span>'
    meta = [
        ("Source", escape(report.source)),
        ("Window", escape(format_window(report))),
        ("Generated", escape(iso_utc(report.generated_at))),
        ("Data", f"{format_number(report.spans)} spans in {format_number(report.traces)} traces"),
    ]
    items = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in meta)
    return (
        f'<header class="{classes}"><h1>e2e-otel analysis</h1>'
        f'<p class="verdict-line">{escape(verdict(report))}</p>'
        f'<div class="counts">{badges}</div><dl class="meta">{items}</dl></header>'
    )


def _problems(report: Report) -> str:
    items = "".join(f"<li>{escape(problem)}</li>" for problem in report.problems)
    return (
        '<section class="problems"><h2>Incomplete report</h2><p>Part of the input could not '
        "be read, so figures may be low and findings may be missing.</p>"
        f"<ul>{items}</ul></section>"
    )


def _utc(unix_s: float) -> datetime:
    return datetime.fromtimestamp(unix_s, timezone.utc)


def _line_chart(chart: SeriesChart) -> str:
    """A series as a line chart, error ratios in percent, each change point labelled with its
    size and p value."""
    series = chart.series
    scale, unit = (1.0, "ms") if series.metric == "p95_ms" else (100.0, "%")
    what = "p95" if series.metric == "p95_ms" else "error ratio"
    name = f"{series.target} {what}"
    points = [(_utc(at), value * scale) for at, value in series.points]
    marks = [
        (
            _utc(cp.at_unix_s),
            f"{cp.relative_change:+.0%} (p {cp.p_value:.2g})"
            if math.isfinite(cp.relative_change)
            else f"{cp.direction} from 0 (p {cp.p_value:.2g})",
        )
        for cp in chart.change_points
    ]
    svg = svg_line_chart(points, marks, title=name, unit=unit)
    count = len(marks)
    noun = "change point" if count == 1 else "change points"
    caption = f"{escape(series.kind)} {escape(name)} · {count} {noun} marked"
    return f"<figure><figcaption>{caption}</figcaption>{svg}</figure>"


def _charts(report: Report, top: int) -> str:
    out = []
    title, unit, bars = top_bars(report, top)
    if bars:
        out.append(
            f"<h2>{escape(title)}</h2><figure>{svg_bar_chart(bars, title=title, unit=unit)}"
            "</figure>"
        )
    if report.charts:
        out.append("<h2>Change points</h2>")
        out += [_line_chart(chart) for chart in report.charts]
    return "".join(out)


def _recommendation(number: int, rec: Recommendation, sampled: bool = False) -> str:
    ev = rec.evidence
    rows = [
        ("Rule", f"<code>{escape(rec.rule)}</code>"),
        ("Category", escape(rec.category)),
        ("Id", f"<code>{escape(rec.id)}</code>"),
    ]
    rows += [(label, f"<code>{escape(value)}</code>") for label, value in evidence_fields(rec)]
    if ev.figures:
        rows.append(
            (
                "Figures (of the kept traces)" if sampled else "Figures",
                " · ".join(
                    f"{escape(name)} <b>{escape(value)}</b>" for name, value in figure_items(rec)
                ),
            )
        )
    if ev.trace_ids:
        rows.append(
            (
                "Example traces",
                " ".join(f"<code>{escape(trace_id)}</code>" for trace_id in ev.trace_ids),
            )
        )
    details = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    steps = "".join(f"<li>{escape(step)}</li>" for step in rec.steps)
    priority = escape(rec.priority)
    statement = (
        f"<h3>Statement</h3><pre><code>{escape(ev.fingerprint)}</code></pre>"
        if ev.fingerprint
        else ""
    )
    return (
        f'<details class="rec {priority}"{" open" if priority == "high" else ""}>'
        f'<summary><span class="muted">{number}.</span>'
        f'<span class="badge {priority}">{priority}</span>'
        f'<span class="title">{escape(rec.title)}</span>'
        f'<span class="saving">{escape(format_saving(rec))}</span></summary>'
        f'<div class="rec-body"><p class="description">{escape(rec.description)}</p>'
        + (f"<h3>Steps</h3><ol>{steps}</ol>" if steps else "")
        + f"{statement}<h3>Evidence</h3><dl>{details}</dl></div></details>"
    )


def _cell(value: Any) -> str:
    if _numeric(value) and math.isfinite(value):
        return f'<td class="num">{escape(format_cell(value))}</td>'
    if isinstance(value, str) and len(value) > LONG_CELL:
        # A long statement would stretch its row over screens: show its start, expand on click.
        return (
            f'<td class="text"><details class="cell"><summary><code>'
            f"{escape(shorten(value, LONG_CELL))}</code></summary>"
            f"<pre><code>{escape(value)}</code></pre></details></td>"
        )
    if isinstance(value, str) and value:
        return f'<td class="text"><code>{escape(value)}</code></td>'
    return f'<td class="text">{escape(format_cell(value))}</td>'


def _numeric_column(section: Section, index: int) -> bool:
    values = [row[index] for row in section.rows if index < len(row) and row[index] is not None]
    return bool(values) and all(_numeric(v) for v in values)


def _section(section: Section, max_rows: int) -> str:
    shown = section.rows[:max_rows]
    note = (
        f'<p class="muted">Showing the first {len(shown)} of {len(section.rows)} rows; the '
        "JSON report has them all.</p>"
        if len(section.rows) > len(shown)
        else ""
    )
    head = "".join(
        f'<th class="num">{escape(column)}</th>'
        if _numeric_column(section, index)
        else f"<th>{escape(column)}</th>"
        for index, column in enumerate(section.columns)
    )
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in shown)
    table = (
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )
    return f'<h2 id="{escape(section.name)}">{escape(section.title)}</h2>{note}{table}'


def render_html(report: Report, *, top: int = 10, max_rows: int = 200) -> str:
    """The report as a self-contained HTML page.

    Layout: a header with the verdict, the problems when the report is incomplete, the note on
    sampled traces when they came from a sampling tier, the top-N bar
    chart (see ``top_bars``), one line chart per ``report.charts`` entry with its change points
    marked,
    every recommendation as a collapsible block (high priority ones open) in the order of
    ``ranked``, the client-error hotspots apart, then every section that has rows as a table of
    its first ``max_rows`` rows.
    """
    recs, client = ranked(report)
    parts = [_header(report)]
    if not report.complete or report.problems:
        parts.append(_problems(report))
    if note := sampling_note(report):
        parts.append(
            f'<section class="sampling"><h2>Sampled traces</h2><p>{escape(note)}</p></section>'
        )
    parts.append(_charts(report, top))
    parts.append("<h2>Recommendations</h2>")
    sampled = report.sampling is not None
    parts += [_recommendation(n, rec, sampled) for n, rec in enumerate(recs, 1)]
    if not recs:
        parts.append('<p class="muted">No recommendations.</p>')
    if client:
        parts.append("<h2>Client errors (4xx)</h2>")
        parts.append(
            '<p class="muted">Requests the client got wrong, expected ones (failed logins, '
            "validation in a test run) included: not server faults.</p>"
        )
        parts += [_recommendation(n, rec, sampled) for n, rec in enumerate(client, len(recs) + 1)]
    parts += [_section(section, max_rows) for section in report.sections if section.rows]
    parts.append(
        f"<footer>e2e-otel report · schema {escape(report.schema_version)} · generated "
        f"{escape(iso_utc(report.generated_at))}</footer>"
    )
    title = f"e2e-otel report · {verdict(report)}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(parts)}</main></body></html>\n"
    )
