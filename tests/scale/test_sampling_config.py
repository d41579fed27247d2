"""The scale-out tiers' collector configs: generated from the thresholds, committed as
generated, and accepted by the real collector."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from e2e_otel import attributes as attr
from e2e_otel.cli import main
from e2e_otel.config import parse_config
from e2e_otel.config_types import Config
from e2e_otel.stack.native_config import COLLECTOR_CONFIG, find_collector
from e2e_otel.stack.sampling import render_sampler_config
from e2e_otel.stack.scale_native import GATEWAY_OVERLAY, SAMPLER_CONFIG
from tests.stack.conftest import required


def _policies(text: str) -> dict[str, dict[str, object]]:
    config = yaml.safe_load(text)
    policies = config["processors"]["tail_sampling"]["policies"]
    return {p["name"]: p[p["type"]] for p in policies}


def test_the_committed_sampler_config_is_what_the_defaults_generate() -> None:
    assert SAMPLER_CONFIG.read_text(encoding="utf-8") == render_sampler_config(Config()), (
        "run: e2e-otel sampling -o collector-config/scale/sampler.yaml"
    )


def test_the_policies_follow_the_thresholds() -> None:
    default = _policies(render_sampler_config(Config()))
    assert default["slower-than-api-warning"] == {"threshold_ms": 200}
    assert default["many-queries"] == {"min_spans": 6}  # a request + min_repeats (5) queries
    assert default["errors"] == {"status_codes": ["ERROR"]}
    custom = parse_config(
        {
            "thresholds": {
                "api": {"warning_ms": 350, "critical_ms": 900},
                "database": {"warning_ms": 20, "critical_ms": 100},
            },
            "analyzers": {"n_plus_one": {"min_repeats": 3}},
        }
    )
    policies = _policies(render_sampler_config(custom))
    assert policies["slower-than-api-warning"] == {"threshold_ms": 350}
    assert policies["many-queries"] == {"min_spans": 4}
    # Client errors (category, status unset) and slow queries/renders in quick traces.
    assert default["error-category"]["key"] == "e2e.error.category"
    conditions = policies["slow-database-or-frontend-span"]["span"]
    assert isinstance(conditions, list)
    database, frontend = (str(c) for c in conditions)
    assert database.endswith("> 20000000") and '"database"' in database
    assert frontend.endswith("> 100000000") and '"frontend"' in frontend


def test_every_kept_span_is_marked_as_sampled() -> None:
    config = yaml.safe_load(render_sampler_config(Config()))
    processors = config["service"]["pipelines"]["traces"]["processors"]
    # After the decision, so only kept spans are marked (and all of them).
    assert processors.index("transform/sampling_mark") == processors.index("tail_sampling") + 1
    (statements,) = config["processors"]["transform/sampling_mark"]["trace_statements"]
    assert statements["context"] == "resource"
    text = " ".join(statements["statements"])
    assert f'attributes["{attr.SAMPLING_POLICY}"], "{attr.SAMPLING_POLICY_TAIL}"' in text
    percent = f'attributes["{attr.SAMPLING_BASELINE_PERCENT}"], Double("${{env:E2E_OTELCOL_'
    assert percent + 'SAMPLING_PERCENT:-10}")' in text


def test_the_cli_writes_it_from_a_config_file(tmp_path: Path) -> None:
    config = tmp_path / "e2e-otel.yaml"
    config.write_text("thresholds:\n  api: {warning_ms: 120, critical_ms: 400}\n", "utf-8")
    out = tmp_path / "sampler.yaml"
    assert main(["sampling", "--config", str(config), "-o", str(out)]) == 0
    assert _policies(out.read_text("utf-8"))["slower-than-api-warning"] == {"threshold_ms": 120}


def test_a_bad_config_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "e2e-otel.yaml"
    config.write_text("analyzers:\n  n_plus_one: {min_repeats: many}\n", "utf-8")
    assert main(["sampling", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "min_repeats" in err and str(config) in err


@pytest.mark.parametrize(
    "files",
    [[SAMPLER_CONFIG], [COLLECTOR_CONFIG, GATEWAY_OVERLAY]],
    ids=["sampler", "gateway"],
)
def test_the_collector_accepts_each_tier(files: list[Path]) -> None:
    collector = required(find_collector)
    command = [str(collector), "validate"]
    for path in files:
        command += ["--config", str(path)]
    result = subprocess.run(
        command, capture_output=True, text=True, env=dict(os.environ), timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_gateway_keeps_the_single_box_pipeline_and_only_reroutes_raw_spans() -> None:
    base = yaml.safe_load(COLLECTOR_CONFIG.read_text("utf-8"))
    overlay = yaml.safe_load(GATEWAY_OVERLAY.read_text("utf-8"))
    # The overlay touches one pipeline, and no processor or connector: span metrics and the
    # service graph are computed exactly as on one box, from every span.
    assert set(overlay["service"]["pipelines"]) == {"traces/store"}
    assert overlay["service"]["pipelines"]["traces/store"]["exporters"] == ["load_balancing"]
    assert (
        overlay["service"]["pipelines"]["traces/store"]["receivers"]
        == (base["service"]["pipelines"]["traces/store"]["receivers"])
    )
    assert set(overlay) == {"processors", "exporters", "service"}
    assert overlay["exporters"]["load_balancing"]["routing_key"] == "traceID"
    # The one processor it changes: instead of dropping service.instance.id (one stream per
    # service), the gateway's id becomes it (one stream per service and gateway).
    assert set(overlay["processors"]) == {"transform/stable_series"}
    (statements,) = overlay["processors"]["transform/stable_series"]["metric_statements"]
    assert statements["statements"] == [
        'set(resource.attributes["service.instance.id"], "${env:E2E_OTELCOL_GATEWAY_ID:-gateway}")'
    ]
