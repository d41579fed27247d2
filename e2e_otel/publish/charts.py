"""Inline SVG charts for the HTML report, drawn in Python so the report opens offline: a
horizontal top-N bar chart and a latency line chart with change points marked.

Every label is HTML-escaped here; callers pass plain text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from html import escape

from e2e_otel.publish._format import format_number, shorten

__all__ = ["svg_bar_chart", "svg_line_chart"]


FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
BAR_COLOR = "#3b6fd4"
LINE_COLOR = "#3b6fd4"
CHANGE_COLOR = "#c62828"
GRID_COLOR = "#e3e6eb"
TEXT_COLOR = "#444"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" font-family="{escape(FONT)}" font-size="12">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def svg_bar_chart(
    items: Sequence[tuple[str, float]], *, title: str, unit: str = "ms", width: int = 1040
) -> str:
    """Horizontal bars, one per ``(label, value)``, in the given order; long labels are cut
    (the full text is in the bar's tooltip)."""
    row, top, label_width, value_width = 26, 8, 440, 110
    height = top * 2 + row * max(len(items), 1)
    finite = [v for _, v in items if math.isfinite(v)]
    biggest = max([*finite, 0.0]) or 1.0
    span = width - label_width - value_width
    body: list[str] = []
    if not items:
        body.append(f'<text x="{width / 2}" y="{top + 17}" text-anchor="middle">No data</text>')
    for index, (label, value) in enumerate(items):
        y = top + index * row
        length = max(span * max(value, 0.0) / biggest, 1.0) if math.isfinite(value) else 0.0
        tip = escape(f"{label}: {format_number(value)} {unit}")
        body.append(
            f"<g><title>{tip}</title>"
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" fill="{TEXT_COLOR}">'
            f"{escape(shorten(label, 64))}</text>"
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" '
            f'rx="3" fill="{BAR_COLOR}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 17}" fill="{TEXT_COLOR}">'
            f"{escape(format_number(value))} {escape(unit)}</text></g>"
        )
    return _svg(width, height, title, body)


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top`` (steps of 1, 2 or 5 times a power of 10)."""
    if not math.isfinite(top) or top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _time_label(moment: datetime, span: timedelta) -> str:
    if span <= timedelta(days=1):
        return moment.strftime("%H:%M")
    if span <= timedelta(days=14):
        return moment.strftime("%m-%d %H:%M")
    return moment.strftime("%Y-%m-%d")


def svg_line_chart(
    series: Sequence[tuple[datetime, float]],
    change_points: Sequence[tuple[datetime, str]] = (),
    *,
    title: str = "",
    unit: str = "ms",
    width: int = 1040,
    height: int = 240,
) -> str:
    """A line chart of ``series`` (``(timestamp, value)``; NaN or infinity breaks the line) with
    each change point ``(timestamp, label)`` marked by a dashed vertical line and its label.
    Times are shown in UTC."""
    left, right, top, bottom = 56, 16, 28, 34
    points = sorted((_utc(at), value) for at, value in series)
    marks = sorted((_utc(at), label) for at, label in change_points)
    times = [at for at, _ in points] + [at for at, _ in marks]
    if not times:
        empty = f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">No data</text>'
        return _svg(width, height, title or "No data", [empty])
    start, end = min(times), max(times)
    if end == start:
        start, end = start - timedelta(minutes=1), end + timedelta(minutes=1)
    ticks = nice_ticks(max([v for _, v in points if math.isfinite(v)] + [0.0]))
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(at: datetime) -> float:
        return left + plot_w * (at - start) / (end - start)

    def y(value: float) -> float:
        return top + plot_h * (1 - value / ticks[-1])

    body: list[str] = []
    for tick in ticks:
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{GRID_COLOR}"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end" fill="{TEXT_COLOR}">{format_number(tick)}</text>'
        )
    body.append(
        f'<text x="{left - 6}" y="{top - 12}" text-anchor="end" fill="{TEXT_COLOR}">'
        f"{escape(unit)}</text>"
    )
    for i in range(5):
        at = start + (end - start) * i / 4
        anchor = ("start", "middle", "middle", "middle", "end")[i]
        body.append(
            f'<text x="{x(at):.1f}" y="{height - bottom + 18}" text-anchor="{anchor}" '
            f'fill="{TEXT_COLOR}">{_time_label(at, end - start)}</text>'
        )
    body.append(
        f'<text x="{width - right}" y="{height - 2}" text-anchor="end" fill="{TEXT_COLOR}" '
        f'font-size="10">UTC</text>'
    )
    body += _line(points, x, y, dots=len(points) <= 60)
    for at, label in marks:
        cx = x(at)
        anchor = "end" if cx > left + plot_w * 0.75 else "start"
        dx = -4 if anchor == "end" else 4
        body.append(
            f'<g class="change-point"><title>{escape(f"{label} at {at.isoformat()}")}</title>'
            f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{top - 6}" y2="{height - bottom}" '
            f'stroke="{CHANGE_COLOR}" stroke-width="1.5" stroke-dasharray="5 3"/>'
            f'<text x="{cx + dx:.1f}" y="{top - 10}" text-anchor="{anchor}" '
            f'fill="{CHANGE_COLOR}" font-weight="600">{escape(shorten(label, 40))}</text></g>'
        )
    return _svg(width, height, title or "Series", body)


def _line(
    points: list[tuple[datetime, float]],
    x: Callable[[datetime], float],
    y: Callable[[float], float],
    *,
    dots: bool,
) -> list[str]:
    path: list[str] = []
    pen_down = False
    for at, value in points:
        if not math.isfinite(value):
            pen_down = False
            continue
        path.append(f"{'L' if pen_down else 'M'}{x(at):.1f},{y(value):.1f}")
        pen_down = True
    out = [
        f'<path d="{" ".join(path)}" fill="none" stroke="{LINE_COLOR}" stroke-width="2" '
        f'stroke-linejoin="round"/>'
    ]
    if dots:
        out += [
            f'<circle cx="{x(at):.1f}" cy="{y(v):.1f}" r="2.5" fill="{LINE_COLOR}"/>'
            for at, v in points
            if math.isfinite(v)
        ]
    return out
