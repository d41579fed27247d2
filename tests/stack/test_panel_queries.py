"""What individual dashboard panels show, evaluated by promtool's PromQL engine on series shaped
like the pipeline's: each test takes the panel's expression from the generated dashboard, so a
regression in the generator fails here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from e2e_otel import metrics as m
from e2e_otel.stack.dashboards import build_dashboards
from tests.stack.test_rules import run_promtool

_VARIABLES = (
    (re.compile(r"\$__rate_interval\b"), "2m"),
    (re.compile(r"\$__range\b"), "1h"),
    (re.compile(r"\$\{\w+(?::\w+)?\}|\$\w+"), ".*"),  # "All"
)


def panel(dashboard: str, title: str) -> dict[str, Any]:
    found = [p for p in build_dashboards()[dashboard]["panels"] if p.get("title") == title]
    assert len(found) == 1, f"{dashboard}: {title!r} found {len(found)} times"
    chosen: dict[str, Any] = found[0]
    return chosen


def expr(dashboard: str, title: str, ref: str = "A") -> str:
    target = next(t for t in panel(dashboard, title)["targets"] if t["refId"] == ref)
    text: str = target["expr"]
    for pattern, value in _VARIABLES:
        text = pattern.sub(value, text)
    return text


def promtool_test(
    tmp_path: Path, series: list[dict[str, str]], checks: list[dict[str, Any]]
) -> None:
    """``checks`` (promql_expr_test entries) over ``series`` sampled every minute."""
    rules = tmp_path / "empty.rules.yml"
    rules.write_text("groups: []\n", encoding="utf-8")
    test = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series, "promql_expr_test": checks}],
    }
    test_file = tmp_path / "panel_test.yml"
    test_file.write_text(yaml.safe_dump(test, sort_keys=False), encoding="utf-8")
    result = run_promtool("test", "rules", test_file)
    assert result.returncode == 0, result.stdout + result.stderr


def test_health_per_workflow_shows_workflow_rows_only_colored_red_low(tmp_path: Path) -> None:
    score = m.HEALTH_SCORE
    promtool_test(
        tmp_path,
        [
            {"series": f'{score}{{service="shop-api"}}', "values": "64x10"},
            {"series": f'{score}{{workflow="checkout"}}', "values": "38x10"},
            {"series": f'{score}{{workflow="browse"}}', "values": "95x10"},
        ],
        [
            {
                "expr": expr("overview.json", "Health score per workflow (analyzer)"),
                "eval_time": "5m",
                "exp_samples": [
                    {"labels": f'{score}{{workflow="checkout"}}', "value": 38},
                    {"labels": f'{score}{{workflow="browse"}}', "value": 95},
                ],
            },
            {
                "expr": expr("findings.json", "Health score", "A"),
                "eval_time": "5m",
                "exp_samples": [{"labels": f'{score}{{service="shop-api"}}', "value": 64}],
            },
        ],
    )
    bars = panel("overview.json", "Health score per workflow (analyzer)")["fieldConfig"]
    defaults = bars["defaults"]
    assert (defaults["min"], defaults["max"]) == (0, 100)
    steps = [(s["value"], s["color"]) for s in defaults["thresholds"]["steps"]]
    assert steps == [(None, "red"), (50, "yellow"), (80, "green")]


def test_recommendations_sort_by_severity_and_show_title_and_links(tmp_path: Path) -> None:
    info = m.FINDING_INFO

    def finding(priority: str, title: str) -> dict[str, str]:
        labels = f'id="{priority}1", priority="{priority}", title="{title}", workflow="checkout"'
        return {"series": f"{info}{{{labels}}}", "values": "1x10"}

    def row(priority: str, title: str, rank: int) -> dict[str, Any]:
        labels = f'id="{priority}1", priority="{priority}", title="{title}", workflow="checkout"'
        return {"labels": f"{{{labels}}}", "value": rank}

    promtool_test(
        tmp_path,
        [finding("medium", "N+1"), finding("low", "index"), finding("high", "slow query")],
        [
            {
                "expr": expr("findings.json", "Recommendations"),
                "eval_time": "5m",
                "exp_samples": [
                    row("high", "slow query", 3),
                    row("medium", "N+1", 2),
                    row("low", "index", 1),
                ],
            }
        ],
    )
    table = panel("findings.json", "Recommendations")
    assert table["options"]["sortBy"] == [{"desc": True, "displayName": "severity"}]
    shown = next(t for t in table["transformations"] if t["id"] == "filterFieldsByName")
    names = shown["options"]["include"]["names"]
    assert names[:2] == ["Value", m.FINDING_TITLE] and m.FINDING_TRACE_ID in names
    assert not {"__name__", "instance", "job", "Time", m.FINDING_PRIORITY} & set(names)
    overrides = {
        o["matcher"]["options"]: {p["id"]: p["value"] for p in o["properties"]}
        for o in table["fieldConfig"]["overrides"]
    }
    severity = overrides["severity"]["mappings"][0]["options"]
    assert {k: v["text"] for k, v in severity.items()} == {"3": "high", "2": "medium", "1": "low"}
    trace_link = overrides["example trace"]["links"][0]
    assert trace_link["internal"]["datasourceUid"] == "tempo"
    route_link = overrides["route"]["links"][0]["url"]
    assert route_link.startswith("/d/e2e-otel-workflow/") and "var-route=" in route_link


def test_firing_alerts_count_each_subject_once(tmp_path: Path) -> None:
    def alert(severity: str, route: str) -> dict[str, str]:
        labels = (
            f'alertname="E2EApiLatencyHigh", alertstate="firing", severity="{severity}", '
            f'http_route="{route}"'
        )
        return {"series": f"ALERTS{{{labels}}}", "values": "1x10"}

    promtool_test(
        tmp_path,
        # Above critical, both rules fire for api/reports/; api/checkout/ only warns.
        [
            alert("warning", "api/reports/"),
            alert("critical", "api/reports/"),
            alert("warning", "api/checkout/"),
        ],
        [
            {
                "expr": expr("overview.json", "Firing alerts"),
                "eval_time": "5m",
                "exp_samples": [{"labels": "{}", "value": 2}],
            }
        ],
    )


def test_service_graph_edges_show_zero_when_idle(tmp_path: Path) -> None:
    edge = 'client="shop-api", server="shop", connection_type="database"'
    # 1 request/s for 10 minutes, then nothing: the series goes stale.
    series = [
        {"series": f"{m.SERVICE_GRAPH_REQUESTS}{{{edge}}}", "values": "0+60x10 stale"},
        {"series": f"{m.SERVICE_GRAPH_FAILED}{{{edge}}}", "values": "0+6x10 stale"},
    ]
    requests = expr("service-graph.json", "Requests per edge")
    failed = expr("service-graph.json", "Failed requests per edge")
    labels = '{client="shop-api", server="shop"}'
    promtool_test(
        tmp_path,
        series,
        [
            {"expr": requests, "eval_time": "8m", "exp_samples": [{"labels": labels, "value": 1}]},
            {"expr": failed, "eval_time": "8m", "exp_samples": [{"labels": labels, "value": 0.1}]},
            {"expr": requests, "eval_time": "30m", "exp_samples": [{"labels": labels, "value": 0}]},
            {"expr": failed, "eval_time": "30m", "exp_samples": [{"labels": labels, "value": 0}]},
        ],
    )


def test_span_time_per_layer_is_a_share_of_wall_time(tmp_path: Path) -> None:
    api = 'e2e_layer="api", service_name="shop-api"'
    # 500 ms of API spans per second of wall time: half of it.
    promtool_test(
        tmp_path,
        [{"series": f"{m.SPAN_DURATION_SUM}{{{api}}}", "values": "0+30000x10"}],
        [
            {
                "expr": expr(name, "Span time per layer (share of wall time)"),
                "eval_time": "5m",
                "exp_samples": [{"labels": '{e2e_layer="api"}', "value": 0.5}],
            }
            for name in ("overview.json", "workflow.json")
        ],
    )
    for name in ("overview.json", "workflow.json"):
        unit = panel(name, "Span time per layer (share of wall time)")["fieldConfig"]
        assert unit["defaults"]["unit"] == "percentunit"


def test_exporter_failures_are_zero_until_the_first_failure(tmp_path: Path) -> None:
    sent = 'exporter="otlp_grpc/tempo"'
    promtool_test(
        tmp_path,
        [
            {"series": f"{m.OTELCOL_SENT_SPANS}{{{sent}}}", "values": "0+60x10"},
            {"series": f'{m.OTELCOL_SENT_METRIC_POINTS}{{exporter="prw"}}', "values": "0+6x10"},
            {
                "series": f'{m.OTELCOL_SEND_FAILED_METRIC_POINTS}{{exporter="prw"}}',
                "values": "0+3x10",
            },
        ],
        [
            {
                "expr": expr("pipeline.json", "Dropped by exporters", "A"),
                "eval_time": "5m",
                "exp_samples": [{"labels": f"{{{sent}}}", "value": 0}],
            },
            {
                "expr": expr("pipeline.json", "Items dropped by exporters/s"),
                "eval_time": "5m",
                "exp_samples": [{"labels": "{}", "value": 0.05}],
            },
        ],
    )


def test_slowest_requests_filter_and_sort_by_duration() -> None:
    traces = panel("workflow.json", "Slowest requests of the workflow")
    query = traces["targets"][0]["query"]
    assert "duration > $threshold" in query and 'span.http.route =~ "${route:regex}"' in query
    assert traces["options"]["sortBy"] == [{"desc": True, "displayName": "Duration"}]
    variables = {v["name"]: v for v in build_dashboards()["workflow.json"]["templating"]["list"]}
    assert variables["threshold"]["query"] == "200ms,500ms,0ms"  # API warning, critical
    assert variables["route"]["query"].startswith(f"label_values({m.SPAN_CALLS}{{")


def test_every_dashboard_shares_the_crosshair() -> None:
    for name, model in build_dashboards().items():
        assert model["graphTooltip"] == 1, name
