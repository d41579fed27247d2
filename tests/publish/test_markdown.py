from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from e2e_otel.analyzers.models import Report, Section
from e2e_otel.publish.markdown import GITHUB_COMMENT_LIMIT, md_code, md_text, render_markdown
from tests.publish.htmltree import Node, parse
from tests.publish.reports import (
    HOSTILE,
    LONG_SQL,
    hostile_report,
    incomplete_report,
    rec,
    sample_report,
)

# What GitHub lets through its sanitizer and our Markdown may produce; anything else (img,
# script, a, ...) would come from user data.
ALLOWED = {
    "#document",
    "h3",
    "h4",
    "p",
    "strong",
    "em",
    "code",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "details",
    "summary",
    "b",
    "ol",
    "ul",
    "li",
    "blockquote",
}


def gfm(markdown: str) -> Node:
    """Render like GitHub (cmark-gfm, raw HTML let through so injected HTML shows) and parse."""
    try:
        import cmarkgfm
        from cmarkgfm.cmark import Options
    except ImportError:
        pytest.fail("cmarkgfm is missing (GitHub's cmark-gfm renderer): pip install cmarkgfm")
    return parse(
        cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    )


def size(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def cells(row: Node) -> list[str]:
    return [cell.text() for cell in row.children if isinstance(cell, Node)]


def test_verdict_is_one_line_with_counts_and_completeness() -> None:
    lines = render_markdown(sample_report()).splitlines()
    assert lines[0] == "### e2e-otel analysis"
    assert (
        lines[2]
        == "**10 recommendations (3 high, 3 medium, 4 low) · complete · 1,234,567 spans in 45,678 traces**"
    )
    incomplete = render_markdown(incomplete_report()).splitlines()[2]
    assert "INCOMPLETE (2 problems)" in incomplete


def test_recommendations_table_and_details() -> None:
    doc = gfm(render_markdown(sample_report(), max_recommendations=4))
    table = next(doc.iter("table"))
    assert cells(next(table.iter("tr"))) == ["#", "Priority", "Recommendation", "Expected saving"]
    rows = [cells(tr) for tr in next(table.iter("tbody")).iter("tr")]
    assert [r[1] for r in rows] == ["🔴 high", "🔴 high", "🔴 high", "🟠 medium"]
    assert rows[0][2:] == ["N+1 queries on GET /api/orders/{id}/items", "182 ms/request (61%)"]
    assert rows[2][3] == "—"  # no estimate
    assert "… and 6 more in the JSON and HTML reports." in doc.text()
    details = list(doc.iter("details"))
    assert len(details) == 4
    first = details[0]
    assert (
        next(first.iter("summary")).text()
        == "1. 🔴 high · N+1 queries on GET /api/orders/{id}/items · 182 ms/request (61%)"
    )
    codes = [c.text() for c in first.iter("code")]
    assert "/api/orders/{id}/items" in codes
    assert "select * from shop_orderitem where order_id = ?" in codes
    assert sum(1 for c in codes if len(c) == 32) == 5  # trace ids
    steps = [li.text() for li in next(first.iter("ol")).iter("li")]
    assert steps[1] == "1. Re-run the workflow and check that one query replaces the loop."
    assert "occurrences 412 · p95_ms 240 · queries_per_request 25" in first.text()


def test_sections_show_their_top_rows() -> None:
    doc = gfm(render_markdown(sample_report(), max_rows=5))
    headings = [h.text() for h in doc.iter("h4")]
    assert "Slow queries by total time (top 5 of 40)" in headings
    assert "Error hotspots" in headings
    tables = list(doc.iter("table"))
    slow = tables[1]
    assert cells(next(slow.iter("tr")))[:3] == ["rank", "fingerprint_id", "fingerprint"]
    body = [cells(tr) for tr in next(slow.iter("tbody")).iter("tr")]
    assert len(body) == 5 and body[0][3:5] == ["4,000", "120,000"]
    assert (
        body[3][2].startswith("select o.id") and body[3][2].endswith("…") and len(body[3][2]) == 160
    )
    hotspots = [cells(tr) for tr in next(tables[2].iter("tbody")).iter("tr")]
    assert hotspots[0] == [
        "cart_update",
        "/api/cart/items",
        "db_integrity",
        "57",
        "4.2",
        "2024-05-06T00:00:00Z",
    ]
    assert hotspots[2][4:] == ["—", "yes"]


def test_incomplete_report_lists_its_problems() -> None:
    doc = gfm(render_markdown(incomplete_report()))
    quote = next(doc.iter("blockquote"))
    assert "[!WARNING]" in quote.text() and "Incomplete report:" in quote.text()
    items = [li.text() for li in quote.iter("li")]
    assert items[1] == "tempo: http://tempo:3200 timed out after 3 retries <b>bold?</b>"
    assert "blockquote" not in render_markdown(
        sample_report()
    ) and "[!WARNING]" not in render_markdown(sample_report())


def test_user_data_cannot_inject_html_or_break_tables() -> None:
    markdown = render_markdown(hostile_report())
    doc = gfm(markdown)
    for node in doc.iter():
        assert node.tag in ALLOWED, f"<{node.tag}> came from user data"
        assert not any(name.startswith("on") for name in node.attrs)
    summary = next(doc.iter("summary")).text()
    assert HOSTILE in summary
    rec_table, section_table = list(doc.iter("table"))
    assert cells(list(rec_table.iter("tr"))[1])[2] == HOSTILE
    assert cells(next(section_table.iter("tr"))) == [HOSTILE, "total_ms", "fingerprint"]
    rows = [cells(tr) for tr in next(section_table.iter("tbody")).iter("tr")]
    assert rows == [[HOSTILE, "10", HOSTILE], ["a|b c", "5", "x` | `y"]]
    steps = [li.text() for li in next(doc.iter("ol")).iter("li")]
    assert steps == [HOSTILE, "1. " + HOSTILE]
    codes = [c.text() for c in doc.iter("code")]
    assert "/api/" + HOSTILE in codes
    assert "select '" + HOSTILE + "' from t where a = ? # heading | a | b |" in codes
    assert [li.text() for li in next(doc.iter("blockquote")).iter("li")] == [HOSTILE]
    assert [h.text() for h in doc.iter("h4")][-1] == HOSTILE


TOKENS = [*"ab |\\`*_[]()<>&#!~$:-+=.1\n\t", "é", "日", "😀", "&amp;", "<b>", "-->", "1. "]
TOKENS += ["www.x.io", "HTTPS://x.io/?a=1&b=<2>", "a@b.io", "@team", "#12", ":tada:", "$x$"]
TRICKY = st.lists(st.sampled_from(TOKENS), max_size=20).map("".join)


@settings(max_examples=300, deadline=None)
@given(TRICKY)
def test_escaped_text_renders_as_itself_in_headings_lists_and_quotes(text: str) -> None:
    folded = " ".join(text.split())
    escaped = md_text(text)
    doc = gfm(f"#### {escaped}\n\n{escaped}\n\n1. {escaped}\n\n> - {escaped}\n")
    heading = next(doc.iter("h4")).text() if folded else ""
    paragraphs = [p.text() for p in doc.iter("p")]
    items = [li.text() for li in doc.iter("li")]
    assert heading == folded
    assert paragraphs[: 1 if folded else 0] == ([folded] if folded else [])
    assert items == [folded, folded]


@settings(max_examples=300, deadline=None)
@given(TRICKY)
def test_escaped_text_and_code_render_as_the_text_itself(text: str) -> None:
    folded = " ".join(text.split())
    doc = gfm(
        f"| {md_text('x' + text)} | {md_code(text, in_table=True)} |\n|---|---|\n| {md_text(text)} | b |\n"
    )
    head, body = (cells(tr) for tr in doc.iter("tr"))
    assert head == [" ".join(("x" + text).split()), folded or "—"]
    assert body == [folded, "b"]
    for node in doc.iter():
        # GitHub links e-mail addresses even when escaped; a mailto: link is harmless.
        mail = node.tag == "a" and str(node.attrs.get("href")).startswith(("mailto:", "xmpp:"))
        assert node.tag in ALLOWED or mail, f"<{node.tag} {node.attrs}>"


def _huge_report() -> Report:
    recs = tuple(
        rec(
            "rule_" + str(i),
            ("high", "medium", "low")[i % 3],
            f"finding {i} on /api/x/{i}",
            fingerprint=LONG_SQL + str(i),
            saving_ms=float(i),
            steps=tuple(f"step {j}" for j in range(30)),
            traces=9,
        )
        for i in range(300)
    )
    rows = tuple((i, LONG_SQL, i * 1.5) for i in range(5000))
    return sample_report(
        recommendations=recs, sections=(Section("big", "Big", ("n", "sql", "total_ms"), rows),) * 3
    )


@pytest.mark.parametrize("max_chars", [GITHUB_COMMENT_LIMIT, 20_000, 2_000])
def test_output_never_exceeds_the_cap_and_says_what_it_left_out(max_chars: int) -> None:
    markdown = render_markdown(
        _huge_report(), max_recommendations=300, max_rows=5000, max_chars=max_chars
    )
    assert size(markdown) <= max_chars
    assert markdown.splitlines()[-1].startswith("_Truncated to fit a comment: ")
    assert markdown.count("<details>") == markdown.count("</details>")
    doc = gfm(markdown)
    assert next(doc.iter("h3")).text() == "e2e-otel analysis"


def test_a_table_that_does_not_fit_is_cut_to_the_rows_that_do() -> None:
    markdown = render_markdown(_huge_report(), max_recommendations=300, max_chars=5_000)
    assert size(markdown) <= 5_000
    doc = gfm(markdown)
    rows = list(next(next(doc.iter("table")).iter("tbody")).iter("tr"))
    assert 10 < len(rows) < 300
    assert f"… {300 - len(rows)} more rows left out to fit." in doc.text()
    assert (
        doc.text()
        .rstrip()
        .endswith(
            "Truncated to fit a comment: 303 of 305 parts left out; the JSON and HTML reports have everything."
        )
    )


def test_a_cap_too_small_for_the_header_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2000"):
        render_markdown(sample_report(), max_chars=1_000)


def test_cap_counts_utf16_code_units() -> None:
    emoji = "😀" * 250
    recs = tuple(rec("r", "low", emoji + str(i), steps=(emoji,) * 20) for i in range(200))
    markdown = render_markdown(sample_report(recommendations=recs), max_recommendations=200)
    assert len(markdown) < size(markdown) <= GITHUB_COMMENT_LIMIT
    assert "_Truncated" in markdown


def test_default_report_fits_without_truncation_and_steps_are_capped() -> None:
    markdown = render_markdown(sample_report())
    assert "Truncated" not in markdown and size(markdown) < GITHUB_COMMENT_LIMIT
    many = rec("r", "high", "t", steps=tuple(f"s{i}" for i in range(25)))
    doc = gfm(render_markdown(sample_report(recommendations=(many,))))
    steps = [li.text() for li in next(doc.iter("ol")).iter("li")]
    assert len(steps) == 21 and steps[-1] == "… and 5 more steps"


def test_empty_report_and_determinism() -> None:
    empty = sample_report(recommendations=(), sections=())
    assert "_No recommendations._" in render_markdown(empty)
    report = sample_report()
    shuffled = list(report.recommendations)
    random.Random(3).shuffle(shuffled)
    assert render_markdown(report) == render_markdown(
        replace(report, recommendations=tuple(shuffled))
    )
