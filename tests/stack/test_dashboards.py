"""Generated Grafana dashboards: committed JSON, valid PromQL with our metric names, datasources.

Grafana does not run here: the dashboards are validated statically (grafana-foundation-sdk
models, promtool's PromQL parser) and the end-to-end test runs every ``dashboard_queries()``
expression against a real Prometheus.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard

from e2e_otel import metrics
from e2e_otel.cli import main
from e2e_otel.config import parse_config
from e2e_otel.stack.dashboards import (
    DASHBOARDS,
    PROMETHEUS_UID,
    TEMPO_UID,
    build_dashboards,
    dashboard_queries,
    render_dashboards,
)
from e2e_otel.stack.rules import ERROR_RATIO, build_rules, latency_record, rule_expressions
from tests.stack.test_rules import run_promtool

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_DIR = ROOT / "grafana" / "dashboards"
DATASOURCES = ROOT / "grafana" / "provisioning" / "datasources" / "datasources.yaml"
GRAFANA_BUILTIN = "-- Grafana --"

# Grafana's built-in variables and ours, replaced by values PromQL accepts in their places.
SUBSTITUTIONS = [
    (re.compile(r"\$__rate_interval|\$__interval"), "1m"),
    (re.compile(r"\$__range"), "1h"),
    (
        re.compile(r"\$\{(service|workflow|route)(:\w+)?\}|\$(service|workflow|route)\b"),
        "e2e_value",
    ),
]
PROMQL_FUNCTIONS = {
    "sum",
    "count",
    "rate",
    "increase",
    "histogram_quantile",
    "topk",
    "sort_desc",
    "vector",
    "last_over_time",
    "max",
    "min",
    "time",
}
PROMQL_KEYWORDS = {"by", "without", "or", "and", "unless", "on", "ignoring", "bool"}


def substitute(expr: str) -> str:
    for pattern, value in SUBSTITUTIONS:
        expr = pattern.sub(value, expr)
    return expr


def panels(model: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in model.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def datasources() -> dict[str, dict[str, Any]]:
    provisioned = yaml.safe_load(DATASOURCES.read_text(encoding="utf-8"))
    return {ds["uid"]: ds for ds in provisioned["datasources"]}


def provisioning_queries() -> list[tuple[str, str]]:
    """The PromQL of the Tempo datasource's traces-to-metrics links, ``$__tags`` filled in."""
    tempo = datasources()[TEMPO_UID]
    return [
        (f"tracesToMetrics {q['name']}", q["query"].replace("$$__tags", 'service_name="shop-api"'))
        for q in tempo["jsonData"]["tracesToMetrics"]["queries"]
    ]


def test_committed_dashboards_are_the_generator_output() -> None:
    expected = render_dashboards()
    committed = {
        path.name: path.read_text(encoding="utf-8") for path in DASHBOARD_DIR.glob("*.json")
    }
    assert sorted(committed) == sorted(expected), "run `e2e-otel dashboards -o grafana/dashboards`"
    for name, text in expected.items():
        assert committed[name] == text, (
            f"grafana/dashboards/{name} is stale: run `e2e-otel dashboards`"
        )


def test_dashboards_command_writes_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("E2E_OTEL_CONFIG", raising=False)

    assert main(["dashboards", "-o", str(tmp_path / "out")]) == 0

    written = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "out").iterdir()}
    assert written == render_dashboards()
    assert len(capsys.readouterr().out.splitlines()) == len(DASHBOARDS)


def test_dashboards_decode_as_grafana_foundation_sdk_models_without_loss() -> None:
    """Every panel, option and query type is one the SDK's Grafana schema knows."""
    register_default_plugins()
    for name, model in build_dashboards().items():
        decoded = Dashboard.from_json(model)
        assert json.loads(JSONEncoder().encode(decoded)) == model, name


def test_every_prometheus_expression_parses_with_promtool(tmp_path: Path) -> None:
    queries = [(f"{q.dashboard} / {q.panel}", q.expr) for q in dashboard_queries()]
    queries += provisioning_queries()
    rules = {
        "groups": [
            {
                "name": "dashboard-expressions",
                "rules": [
                    {"record": f"e2e_dashboard_expr_{i}", "expr": substitute(expr)}
                    for i, (_, expr) in enumerate(queries)
                ],
            }
        ]
    }
    rules_file = tmp_path / "expressions.rules.yml"
    rules_file.write_text(yaml.safe_dump(rules), encoding="utf-8")

    result = run_promtool("check", "rules", rules_file)

    where = "\n".join(f"e2e_dashboard_expr_{i}: {name}" for i, (name, _) in enumerate(queries))
    assert result.returncode == 0, f"{result.stdout}{result.stderr}\n{where}"
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout


def names_in(expr: str) -> tuple[set[str], set[str], set[str]]:
    """(metric names, label names, function names) used by a PromQL expression."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', substitute(expr))
    labels: set[str] = set()
    for block in re.findall(r"\{([^}]*)\}", text):
        labels |= set(re.findall(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)", block))
    text = re.sub(r"\{[^}]*\}", " ", text)
    for block in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", text):
        labels |= {label.strip() for label in block.split(",") if label.strip()}
    text = re.sub(r"\b(?:by|without|on|ignoring)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    functions = set(re.findall(r"([A-Za-z_][\w:]*)\s*\(", text))
    words = set(re.findall(r"(?<![\w.])([A-Za-z_][\w:]*)", text))
    metric_names = words - functions - PROMQL_KEYWORDS
    return metric_names, labels, functions


def test_expressions_use_only_the_names_of_the_metrics_module() -> None:
    recorded = {latency_record(layer) for layer in ("api", "database", "frontend")} | {ERROR_RATIO}
    for query in dashboard_queries():
        metric_names, labels, functions = names_in(query.expr)
        where = f"{query.dashboard} / {query.panel}: {query.expr}"
        assert metric_names <= metrics.METRIC_NAMES, where
        assert labels <= metrics.LABEL_NAMES, where
        assert functions <= PROMQL_FUNCTIONS, where
    for name, expr in rule_expressions(build_rules(parse_config({}))):
        metric_names, labels, _ = names_in(expr)
        assert metric_names <= metrics.METRIC_NAMES | recorded, name
        assert labels <= metrics.LABEL_NAMES, name
    for name, expr in provisioning_queries():
        assert names_in(expr)[0] <= metrics.METRIC_NAMES, name


def test_names_in_finds_metrics_labels_and_functions() -> None:
    metric_names, labels, functions = names_in(
        'sum by (le, e2e_layer) (rate(x_bucket{service_name=~"$service", a!="b"}[$__rate_interval])) or vector(0)'
    )
    assert metric_names == {"x_bucket"}
    assert labels == {"le", "e2e_layer", "service_name", "a"}
    assert functions == {"sum", "rate", "vector"}


def test_every_query_is_listed_for_the_end_to_end_test() -> None:
    listed = {(q.dashboard, q.panel) for q in dashboard_queries()}
    for model in build_dashboards().values():
        for panel in panels(model):
            if panel.get("datasource", {}).get("uid") == PROMETHEUS_UID:
                assert (model["title"], panel["title"]) in listed
    titles = {q.panel for q in dashboard_queries()}
    assert {"variable $service", "variable $workflow", "annotation e2e-otel alerts"} <= titles


def test_datasource_uids_match_the_provisioning() -> None:
    provisioned = datasources()
    assert provisioned[PROMETHEUS_UID]["type"] == "prometheus"
    assert provisioned[TEMPO_UID]["type"] == "tempo"
    for name, model in build_dashboards().items():
        used = [p.get("datasource") for p in panels(model)]
        used += [t.get("datasource") for p in panels(model) for t in p.get("targets", [])]
        used += [a.get("datasource") for a in model["annotations"]["list"]]
        used += [v.get("datasource") for v in model["templating"].get("list", [])]
        for ref in filter(None, used):
            assert ref["uid"] in provisioned or ref["uid"] == GRAFANA_BUILTIN, (name, ref)
            if ref["uid"] in provisioned:
                assert ref["type"] == provisioned[ref["uid"]]["type"], (name, ref)


def test_datasources_link_exemplars_traces_metrics_and_service_map() -> None:
    prometheus, tempo = datasources()[PROMETHEUS_UID], datasources()[TEMPO_UID]
    assert prometheus["jsonData"]["exemplarTraceIdDestinations"] == [
        {
            "name": metrics.EXEMPLAR_TRACE_ID,
            "datasourceUid": TEMPO_UID,
            "urlDisplayLabel": "Open trace in Tempo",
        }
    ]
    assert tempo["jsonData"]["tracesToMetrics"]["datasourceUid"] == PROMETHEUS_UID
    assert tempo["jsonData"]["serviceMap"]["datasourceUid"] == PROMETHEUS_UID
    assert tempo["jsonData"]["nodeGraph"]["enabled"] is True
    tags = {t["key"]: t["value"] for t in tempo["jsonData"]["tracesToMetrics"]["tags"]}
    assert tags == {
        "service.name": metrics.SERVICE,
        "e2e.workflow.type": metrics.WORKFLOW,
        "e2e.layer": metrics.LAYER,
    }


def test_exemplars_are_requested_on_latency_panels() -> None:
    model = build_dashboards()["workflow.json"]
    latency = [p for p in panels(model) if p["title"] == "p95 duration per layer"]
    assert [t["exemplar"] for t in latency[0]["targets"]] == [True]


def test_layout_ids_and_uids() -> None:
    uids = set()
    for name, model in build_dashboards().items():
        ids = [p["id"] for p in panels(model)]
        assert ids == list(range(1, len(ids) + 1)), name
        for panel in panels(model):
            pos = panel["gridPos"]
            assert panel["title"] and pos["x"] + pos["w"] <= 24, (name, panel["title"])
            refs = [t["refId"] for t in panel.get("targets", [])]
            assert len(set(refs)) == len(refs) and all(refs), (name, panel["title"])
        assert model["uid"].startswith("e2e-otel-") and len(model["uid"]) <= 40
        # Every dashboard about spans starts with $service; pipeline health is about the stack.
        first = [v["name"] for v in model["templating"].get("list", [])][:1]
        assert first == ([] if model["uid"] == "e2e-otel-pipeline" else ["service"]), name
        uids.add(model["uid"])
    assert len(uids) == len(DASHBOARDS)


def test_thresholds_come_from_the_configuration() -> None:
    config = parse_config({"thresholds": {"api": {"warning_ms": 250, "critical_ms": 900}}})
    model = build_dashboards(config)["overview.json"]
    stat = next(p for p in panels(model) if p["title"] == "p95 API response time")
    steps = stat["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [(s["value"], s["color"]) for s in steps] == [
        (None, "green"),
        (250, "yellow"),
        (900, "red"),
    ]
    default = next(
        p for p in panels(build_dashboards()["overview.json"]) if p["title"] == stat["title"]
    )
    assert [s["value"] for s in default["fieldConfig"]["defaults"]["thresholds"]["steps"]] == [
        None,
        200,
        500,
    ]
