from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone

import pytest

from e2e_otel.publish.charts import nice_ticks, svg_bar_chart, svg_line_chart
from tests.publish.htmltree import Node, parse

T0 = datetime(2024, 5, 6, tzinfo=timezone.utc)


def _svg(markup: str) -> Node:
    doc = parse(markup)
    (svg,) = doc.iter("svg")
    return svg


def _path_moves(svg: Node) -> list[list[tuple[float, float]]]:
    (path,) = svg.iter("path")
    segments: list[list[tuple[float, float]]] = []
    for command, x, y in re.findall(r"([ML])([-\d.]+),([-\d.]+)", str(path.attrs["d"])):
        if command == "M":
            segments.append([])
        segments[-1].append((float(x), float(y)))
    return segments


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (290.0, [0, 100, 200, 300]),
        (48.0, [0, 10, 20, 30, 40, 50]),
        (0.7, [0, 0.2, 0.4, 0.6, 0.8]),
        (1000.0, [0, 200, 400, 600, 800, 1000]),
    ],
)
def test_nice_ticks(top: float, ticks: list[float]) -> None:
    assert nice_ticks(top) == pytest.approx(ticks)
    assert nice_ticks(0.0) == nice_ticks(math.nan) == [0.0, 1.0]


def test_bar_lengths_are_proportional_and_labels_escaped() -> None:
    svg = _svg(
        svg_bar_chart(
            [("a < b", 100.0), ("c", 50.0), ("nan", math.nan), ("neg", -3.0)], title="T & U"
        )
    )
    widths = [float(str(r.attrs["width"])) for r in svg.iter("rect")]
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[2] == 0.0 and widths[3] == 1.0
    assert svg.attrs["aria-label"] == "T & U"
    labels = [t.text() for t in svg.iter("text")]
    assert "a < b" in labels and "100 ms" in labels and "— ms" in labels


def test_long_bar_labels_are_cut_with_the_full_text_in_the_tooltip() -> None:
    label = "select " + "x, " * 100 + "y from t"
    svg = _svg(svg_bar_chart([(label, 1.0)], title="t"))
    (group,) = svg.iter("g")
    assert next(group.iter("title")).text() == f"{label}: 1 ms"
    assert next(group.iter("text")).text().endswith("…")


def test_line_chart_draws_points_and_breaks_on_missing_values() -> None:
    points = [
        (T0 + timedelta(hours=h), v) for h, v in enumerate([10.0, 20.0, math.nan, 30.0, 40.0])
    ]
    svg = _svg(svg_line_chart(points, title="p95"))
    segments = _path_moves(svg)
    assert [len(s) for s in segments] == [2, 2]
    xs = [x for segment in segments for x, _ in segment]
    assert xs == sorted(xs)
    ys = [y for segment in segments for _, y in segment]
    assert ys == sorted(ys, reverse=True)  # larger values are higher up
    assert len(list(svg.iter("circle"))) == 4


def test_change_points_are_marked_where_they_happened() -> None:
    points = [(T0 + timedelta(hours=h), float(h)) for h in range(11)]
    svg = _svg(svg_line_chart(points, [(T0 + timedelta(hours=5), "+38% <p>")], title="t"))
    (mark,) = [g for g in svg.iter("g") if g.attrs.get("class") == "change-point"]
    (line,) = mark.iter("line")
    first, last = _path_moves(svg)[0][0][0], _path_moves(svg)[0][-1][0]
    assert float(str(line.attrs["x1"])) == pytest.approx((first + last) / 2, abs=0.1)
    assert "+38% <p>" in mark.text() and "2024-05-06T05:00:00+00:00" in mark.text()


def test_times_are_shown_in_utc_and_naive_times_are_utc() -> None:
    cest = timezone(timedelta(hours=2))
    aware = svg_line_chart(
        [(datetime(2024, 5, 6, 12, tzinfo=cest), 1.0), (datetime(2024, 5, 6, 13, tzinfo=cest), 2.0)]
    )
    naive = svg_line_chart([(datetime(2024, 5, 6, 10), 1.0), (datetime(2024, 5, 6, 11), 2.0)])
    assert aware == naive
    assert [t.text() for t in _svg(aware).iter("text")][-6:-1] == [
        "10:00",
        "10:15",
        "10:30",
        "10:45",
        "11:00",
    ]


def test_degenerate_series() -> None:
    assert "No data" in _svg(svg_line_chart([])).text()
    single = _svg(svg_line_chart([(T0, 5.0)]))
    assert len(list(single.iter("circle"))) == 1
    flat_zero = _svg(svg_line_chart([(T0, 0.0), (T0 + timedelta(days=30), 0.0)]))
    assert [t.text() for t in flat_zero.iter("text")][-2] == "2024-06-05"
