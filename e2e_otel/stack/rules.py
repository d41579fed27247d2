"""Prometheus recording and alerting rules generated from the ``thresholds`` configuration.

``render_rules(config)`` returns the rule file (``groups:``) as YAML with a stable order, so the
committed ``prometheus/rules/e2e-otel.rules.yml`` can be compared with the generator's output.
Latency alerts compare the p95 of a layer's span durations over :data:`WINDOW` with the warning
and critical thresholds; the error-ratio alerts watch the server spans of each workflow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import yaml

from e2e_otel import metrics as m
from e2e_otel.config import Config, Threshold
from e2e_otel.stack.pipeline_rules import pipeline_group

#: Rate window of every rule, and how long a condition must hold before an alert fires.
WINDOW: Final = "5m"
FOR: Final = "5m"
QUANTILE: Final = 0.95
#: Recording rules (``level:metric:operations``); see :func:`latency_record` for the layers'.
ERROR_RATIO: Final = "e2e_otel:server_span_error_ratio:5m"

ERROR_RATIO_ALERT: Final = "E2EWorkflowErrorRatioHigh"


@dataclass(frozen=True)
class LayerLatency:
    """How one layer's latency is measured and alerted on."""

    layer: str
    alert: str
    what: str
    group_by: tuple[str, ...]
    #: Extra label matchers (PromQL), e.g. to leave out spans that only wait on other layers.
    matchers: str = ""
    #: Label shown in the alert description after the workflow ("route", "statement").
    detail: tuple[str, str] | None = None


LAYERS: Final = (
    LayerLatency(
        layer=m.LAYER_API,
        alert="E2EApiLatencyHigh",
        what="API response time",
        group_by=(m.SERVICE, m.WORKFLOW, m.HTTP_ROUTE),
        detail=("route", m.HTTP_ROUTE),
    ),
    LayerLatency(
        layer=m.LAYER_DATABASE,
        alert="E2EDatabaseLatencyHigh",
        what="database query time",
        group_by=(m.SERVICE, m.WORKFLOW, m.FINGERPRINT_ID),
        detail=("statement", m.FINGERPRINT_ID),
    ),
    LayerLatency(
        layer=m.LAYER_FRONTEND,
        alert="E2EFrontendLatencyHigh",
        what="frontend render time",
        group_by=(m.SERVICE, m.WORKFLOW),
        # A browser fetch lasts as long as the API call it waits for: that is the API's time.
        matchers=f'{m.SPAN_KIND}!="{m.KIND_CLIENT}"',
    ),
)


def latency_record(layer: str) -> str:
    """Name of the recording rule holding the p95 span duration of ``layer``."""
    return f"e2e_otel:{layer}_duration_milliseconds:p95_{WINDOW}"


def number(value: float) -> str:
    """A threshold as PromQL/YAML text: ``200`` rather than ``200.0``, exact otherwise."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def latency_recording(spec: LayerLatency) -> dict[str, Any]:
    """The recording rule for the p95 of ``spec``'s layer, grouped by its labels."""
    matchers = ", ".join(filter(None, [f'{m.LAYER}="{spec.layer}"', spec.matchers]))
    by = ", ".join([m.LE, m.LAYER, *spec.group_by])
    expr = (
        f"histogram_quantile({QUANTILE},\n"
        f"  sum by ({by}) (\n"
        f"    rate({m.SPAN_DURATION_BUCKET}{{{matchers}}}[{WINDOW}])\n"
        f"  )\n"
        f")"
    )
    return {"record": latency_record(spec.layer), "expr": expr}


def latency_alert(spec: LayerLatency, severity: str, threshold_ms: float) -> dict[str, Any]:
    """An alert when ``spec``'s recorded p95 is above ``threshold_ms``."""
    limit = number(threshold_ms)
    detail = ""
    if spec.detail is not None:
        detail = f", {spec.detail[0]} {{{{ $labels.{spec.detail[1]} }}}}"
    return {
        "alert": spec.alert,
        "expr": f"{latency_record(spec.layer)} > {limit}",
        "for": FOR,
        "labels": {m.SEVERITY: severity},
        "annotations": {
            "summary": f"p95 {spec.what} above {limit} ms",
            "description": (
                f'{{{{ $labels.{m.SERVICE} }}}}, workflow "{{{{ $labels.{m.WORKFLOW} }}}}"'
                f"{detail}: p95 {spec.what} over {WINDOW} is {{{{ $value | humanize }}}} ms "
                f"({severity} threshold {limit} ms)."
            ),
        },
    }


def error_ratio_recording() -> dict[str, Any]:
    """Failed / all server spans per service and workflow (0 when nothing failed)."""
    by = f"{m.SERVICE}, {m.WORKFLOW}"
    server = f'{m.SPAN_KIND}="{m.KIND_SERVER}"'
    failed = f'{server}, {m.STATUS_CODE}="{m.STATUS_ERROR}"'
    total = f"sum by ({by}) (rate({m.SPAN_CALLS}{{{server}}}[{WINDOW}]))"
    expr = (
        f"(\n"
        f"  sum by ({by}) (rate({m.SPAN_CALLS}{{{failed}}}[{WINDOW}]))\n"
        f"  or\n"
        f"  {total} * 0\n"
        f")\n"
        f"/\n"
        f"{total}"
    )
    return {"record": ERROR_RATIO, "expr": expr}


def error_ratio_alert(severity: str, ratio: float) -> dict[str, Any]:
    """An alert when a workflow's share of failed server spans is above ``ratio``."""
    percent = number(round(ratio * 100, 9))
    return {
        "alert": ERROR_RATIO_ALERT,
        "expr": f"{ERROR_RATIO} > {number(ratio)}",
        "for": FOR,
        "labels": {m.SEVERITY: severity},
        "annotations": {
            "summary": f"more than {percent}% of requests fail",
            "description": (
                f'{{{{ $labels.{m.SERVICE} }}}}, workflow "{{{{ $labels.{m.WORKFLOW} }}}}": '
                f"{{{{ $value | humanizePercentage }}}} of server spans failed over {WINDOW} "
                f"({severity} threshold {percent}%)."
            ),
        },
    }


def build_rules(config: Config) -> dict[str, Any]:
    """The rule file as a mapping: latency, error and pipeline-health groups."""
    latency: list[dict[str, Any]] = [latency_recording(spec) for spec in LAYERS]
    for spec in LAYERS:
        threshold: Threshold = getattr(config.thresholds, spec.layer)
        latency.append(latency_alert(spec, "warning", threshold.warning_ms))
        latency.append(latency_alert(spec, "critical", threshold.critical_ms))
    errors = [
        error_ratio_recording(),
        error_ratio_alert("warning", config.thresholds.errors.warning_ratio),
        error_ratio_alert("critical", config.thresholds.errors.critical_ratio),
    ]
    return {
        "groups": [
            {"name": "e2e-otel-latency", "rules": latency},
            {"name": "e2e-otel-errors", "rules": errors},
            pipeline_group(),
        ]
    }


def rule_expressions(rules: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(record or alert name, expr)`` of every rule, in file order."""
    return [
        (rule.get("record") or rule["alert"], rule["expr"])
        for group in rules["groups"]
        for rule in group["rules"]
    ]


def render_rules(config: Config) -> str:
    """The rule file for ``config`` as YAML text, headed by where it came from."""
    header = (
        "# Generated by `e2e-otel rules` from the thresholds in "
        f"{_describe(config.source)}. Do not edit:\n"
        "# change the configuration and run `e2e-otel rules -o FILE` again.\n"
    )
    return header + dump_yaml(build_rules(config))


def dump_yaml(data: Mapping[str, Any] | Sequence[Any]) -> str:
    """YAML in insertion order; multi-line strings (PromQL) as literal blocks."""
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=1_000_000
    )


def _describe(source: str) -> str:
    return "the default configuration" if source == "<defaults>" else source


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
