from __future__ import annotations

import math
import re
from dataclasses import replace

from e2e_otel.analyzers.models import ChangePoint, Section, Series, SeriesChart
from e2e_otel.publish.html import render_html, top_bars
from tests.publish.htmltree import Node, parse
from tests.publish.reports import (
    HOSTILE,
    T0,
    hostile_report,
    incomplete_report,
    rec,
    sample_report,
)

# Elements the report is made of: no script, img, link, iframe, object, form, ...
ALLOWED = {
    "#document",
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "main",
    "header",
    "h1",
    "h2",
    "h3",
    "p",
    "div",
    "span",
    "dl",
    "dt",
    "dd",
    "ul",
    "ol",
    "li",
    "section",
    "figure",
    "figcaption",
    "details",
    "summary",
    "code",
    "pre",
    "b",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "footer",
    "svg",
    "g",
    "text",
    "rect",
    "line",
    "path",
    "circle",
}


def _check_structure(html: str) -> Node:
    doc = parse(html)  # every element closed by its own end tag
    for node in doc.iter():
        assert node.tag in ALLOWED, f"unexpected <{node.tag}>"
        for name in node.attrs:
            assert not name.startswith("on"), f"<{node.tag} {name}=...>"
            # No attribute that loads or links anything (aria-label may hold user text: inert).
            assert name not in {"src", "href", "xlink:href", "srcset", "action", "style", "data"}, (
                name
            )
    return doc


def test_page_is_well_formed_and_self_contained() -> None:
    html = render_html(incomplete_report())
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    doc = _check_structure(html)
    css = next(doc.iter("style")).text()
    assert "url(" not in css and "@import" not in css and "@font-face" not in css
    # No URL anywhere outside user data: the only one in this report is in a problem text.
    assert re.findall(r"https?://[^\s<\"]*", html) == ["http://tempo:3200"]
    assert "xmlns" not in html  # inline SVG in HTML needs no namespace URL


def test_header_verdict_and_problems() -> None:
    doc = parse(render_html(incomplete_report()))
    header = next(doc.iter("header"))
    assert "incomplete" in str(header.attrs["class"]) and "has-high" in str(header.attrs["class"])
    verdict = next(n for n in header.iter("p")).text()
    assert (
        verdict
        == "10 recommendations (3 high, 3 medium, 4 low) · INCOMPLETE (2 problems) · 1,234,567 spans in 45,678 traces"
    )
    problems = next(n for n in doc.iter("section") if n.attrs.get("class") == "problems")
    assert [li.text() for li in problems.iter("li")][
        1
    ] == "tempo: http://tempo:3200 timed out after 3 retries <b>bold?</b>"
    complete = parse(render_html(sample_report()))
    assert not any(n.attrs.get("class") == "problems" for n in complete.iter("section"))


def test_top_bars_from_slow_queries_else_recommendations() -> None:
    title, unit, bars = top_bars(sample_report())
    assert (title, unit) == ("Top 10 statement shapes by total time", "ms")
    assert bars[0] == ("select * from t0 where name = ? and note like ? /* ünïcødé 0 */", 120_000.0)
    assert [v for _, v in bars] == sorted((v for _, v in bars), reverse=True)
    title, unit, bars = top_bars(sample_report(sections=()), top=3)
    assert (title, unit) == ("Top 3 recommendations by expected saving per request", "ms/request")
    assert bars == [
        ("N+1 queries on GET /api/orders/{id}/items", 182.5),
        ("Unindexed filter on shop_product.sku", 95.0),
        ("checkout p95 up 38% since 2024-05-08 14:00 UTC", 74.0),
    ]
    odd = Section("slow_queries", "Slow", ("name", "calls"), (("a", 1),))
    assert (
        top_bars(sample_report(sections=(odd,)))[0]
        == "Top 8 recommendations by expected saving per request"
    )
    assert top_bars(sample_report(sections=(odd,), recommendations=())).bars == []
    nan_rows = Section(
        "slow_queries", "Slow", ("fingerprint", "total_ms"), (("a", math.nan), ("b", 2.0))
    )
    assert top_bars(sample_report(sections=(nan_rows,))).bars == [("b", 2.0)]


def test_charts_are_inline_svg() -> None:
    doc = _check_structure(render_html(sample_report()))
    svgs = list(doc.iter("svg"))
    assert len(svgs) == 3  # top-N bars + two series
    assert len(list(svgs[0].iter("rect"))) == 10
    assert [next(s.iter("title")).text() for s in svgs[1:]] == [
        "POST /api/orders/checkout p95",
        "produits — données « produits » error ratio",
    ]
    marks = [g for g in svgs[1].iter("g") if g.attrs.get("class") == "change-point"]
    assert len(marks) == 1 and "+38% (p 2.5e-40)" in marks[0].text()
    captions = [f.text() for f in doc.iter("figcaption")]
    assert captions[0] == "route POST /api/orders/checkout p95 · 1 change point marked"
    without = parse(render_html(sample_report(sections=(), recommendations=(), charts=())))
    assert list(without.iter("svg")) == []


def test_recommendations_with_details() -> None:
    doc = parse(render_html(sample_report()))
    blocks = [d for d in doc.iter("details") if "rec" in str(d.attrs.get("class"))]
    assert len(blocks) == 10
    assert ["open" in d.attrs for d in blocks] == [True] * 3 + [False] * 7
    first = blocks[0]
    assert (
        next(first.iter("summary")).text()
        == "1.highN+1 queries on GET /api/orders/{id}/items182 ms/request (61%)"
    )
    assert next(first.iter("pre")).text() == "select * from shop_orderitem where order_id = ?"
    evidence = {
        dt.text(): dd.text() for dt, dd in zip(first.iter("dt"), first.iter("dd"), strict=True)
    }
    assert evidence["Route"] == "/api/orders/{id}/items"
    assert evidence["Figures"] == "occurrences 412 · p95_ms 240 · queries_per_request 25"
    assert len(evidence["Example traces"].split()) == 5
    assert next(li.text() for li in first.iter("li")).startswith("Use select_related")


def test_sections_as_tables() -> None:
    doc = parse(render_html(sample_report(), max_rows=25))
    tables = list(doc.iter("table"))
    assert len(tables) == 2
    heads = [th.text() for th in tables[0].iter("th")]
    assert heads[:3] == ["rank", "fingerprint_id", "fingerprint"]
    assert [th.attrs.get("class") for th in tables[0].iter("th")][3] == "num"
    rows = list(next(tables[0].iter("tbody")).iter("tr"))
    assert len(rows) == 25
    assert "Showing the first 25 of 40 rows" in doc.text()
    long_cell = [td for td in rows[3].iter("td")][2]
    assert next(long_cell.iter("summary")).text().endswith("…")
    assert next(long_cell.iter("pre")).text().startswith("select o.id")
    hotspots = [
        [td.text() for td in tr.iter("td")] for tr in next(tables[1].iter("tbody")).iter("tr")
    ]
    assert hotspots[2] == ["checkout", "/api/orders/checkout", "server_error", "3", "—", "yes"]
    # An empty table is left out, heading and all.
    assert "Empty." not in doc.text() and "Nothing here" not in doc.text()


def test_user_data_is_escaped() -> None:
    at = T0.timestamp()
    chart = SeriesChart(Series("route", HOSTILE, "p95_ms", ((at, 1.0), (at + 60, 2.0))), ())
    html = render_html(replace(hostile_report(), charts=(chart,)))
    assert "<img" not in html and "</script>" not in html.lower().replace("&lt;/script&gt;", "")
    doc = _check_structure(html)
    text = doc.text()
    assert text.count(HOSTILE) >= 8  # title, source, problem, steps, route, statement, table...
    assert next(doc.iter("title")).text().startswith("e2e-otel report · 1 recommendation")
    h2 = [h.text() for h in doc.iter("h2")]
    assert HOSTILE in h2


def test_deterministic() -> None:
    assert render_html(sample_report()) == render_html(sample_report())


def test_error_ratios_in_percent_and_gaps_break_the_line() -> None:
    at = T0.timestamp()
    points = ((at, 0.1), (at + 60, math.nan), (at + 120, 0.3), (at + 180, 0.3))
    series = Series("workflow", "checkout", "error_ratio", points)
    chart = SeriesChart(series, (ChangePoint(2, at + 120, 0.1, 0.3, 0.004),))
    report = sample_report(recommendations=(rec("r", "low", "t"),), sections=(), charts=(chart,))
    doc = parse(render_html(report))
    (svg,) = doc.iter("svg")
    labels = [t.text() for t in svg.iter("text")]
    assert "%" in labels and "+200% (p 0.004)" in labels
    (path,) = svg.iter("path")
    assert str(path.attrs["d"]).count("M") == 2  # the NaN point splits the line in two
