"""Routes are shown as templates (``api/children/{slug}/``), never as the regexes Django's
``re_path`` records; ids and evidence keep the recorded route."""

from __future__ import annotations

import pytest

from e2e_otel.analyzers import chatty, thresholds
from e2e_otel.analyzers.common import route_template
from e2e_otel.analyzers.models import finding_id
from e2e_otel.publish import render_markdown
from tests.analyzers.conftest import PAGEVIEWS, Trace, config, run
from tests.publish.reports import sample_report

REGEX = "api/children/(?P<slug>[^/.]+)/$"


@pytest.mark.parametrize(
    ("route", "template"),
    [
        (REGEX, "api/children/{slug}/"),
        ("^api/(?P<pk>[0-9]+)/items/(?P<kind>(a|b))/$", "api/{pk}/items/{kind}/"),
        (r"^api/v1/export\.json$", "api/v1/export.json"),
        (r"^api/(\d+)/$", "api/{arg}/"),
        ("/api/alert(1)", "/api/alert(1)"),
        ("api/items/<int:pk>/", "api/items/{pk}/"),
        ("api/products/", "api/products/"),
        ("GET /health", "GET /health"),
    ],
)
def test_route_template(route: str, template: str) -> None:
    assert route_template(route) == template


def test_titles_and_tables_show_the_template_and_ids_keep_the_route() -> None:
    traces = []
    for _ in range(2):
        trace = Trace()
        server = trace.request(REGEX, duration=600)
        for i in range(20):
            trace.query(server, PAGEVIEWS, start=1 + 2 * i, duration=1)
        traces.append(trace)
    slow = next(r for r in run(thresholds.analyze, traces).recommendations)
    assert slow.title.startswith("Endpoint GET api/children/{slug}/ is slow")
    assert slow.id == finding_id("slow_endpoint", "shop-api", "GET", REGEX)
    assert slow.evidence.route == REGEX
    result = run(chatty.analyze, traces, config())
    assert result.sections[0].rows[0][0] == "GET api/children/{slug}/"
    assert "(?P<" not in result.recommendations[0].title
    report = sample_report(recommendations=(slow,), sections=result.sections)
    text = render_markdown(report)
    assert "(?P&lt;" not in text and "(?P<" not in text
    assert "api/children/{slug}/" in text
