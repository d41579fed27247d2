"""The top of the Markdown and HTML reports: the most important findings across kinds, client
errors apart, empty tables left out."""

from __future__ import annotations

from e2e_otel.analyzers.models import Section
from e2e_otel.publish import render_html, render_markdown
from e2e_otel.publish._format import ranked
from tests.publish.reports import rec, sample_report


def _report() -> object:
    slow = [
        rec("slow_endpoint", "high", f"Endpoint GET api/e{i}/ is slow", saving_ms=900 - i)
        for i in range(73)
    ]
    regression = rec("latency_regression", "high", "GET api/orders/ got slower", saving_ms=80)
    n_plus_one = rec("n_plus_one", "medium", "N+1 queries in GET api/tags/", saving_ms=3)
    login = rec(
        "error_hotspot", "high", "authentication client errors in POST api/login/: 90% of 200"
    )
    server = rec("error_hotspot", "medium", "db_integrity errors in POST api/cart/: 6% of 50")
    empty = Section(name="chatty", title="Database queries per request", columns=("a",), rows=())
    return sample_report(
        recommendations=(*slow, regression, n_plus_one, login, server), sections=(empty,)
    )


def test_every_kind_reaches_the_top_and_client_errors_stand_apart() -> None:
    report = _report()
    findings, client = ranked(report)  # type: ignore[arg-type]
    # 73 slow endpoints with larger savings do not push the other kinds out of the top: each
    # kind's best leads, by priority, then the rest.
    top = [r.rule for r in findings[:5]]
    assert top == [
        "slow_endpoint",
        "latency_regression",
        "n_plus_one",
        "error_hotspot",  # the server fault
        "slow_endpoint",
    ]
    assert [r.title.split()[0] for r in client] == ["authentication"]
    assert all(r.title.split()[0] != "authentication" for r in findings)


def test_markdown_and_html_show_them_and_leave_empty_tables_out() -> None:
    report = _report()
    markdown = render_markdown(report)  # type: ignore[arg-type]
    top10 = markdown.split("#### Recommendations", 1)[1].split("_… and", 1)[0]
    assert "got slower" in top10 and "N+1 queries" in top10
    assert "authentication client errors" not in top10
    assert "Client errors (4xx" in markdown
    assert "Database queries per request" not in markdown and "_Empty._" not in markdown
    html = render_html(report)  # type: ignore[arg-type]
    assert "Client errors (4xx)" in html
    assert "Database queries per request" not in html
    assert html.index("got slower") < html.index("Endpoint GET api/e20/ is slow")
