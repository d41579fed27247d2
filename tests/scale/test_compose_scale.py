"""The compose ``scale`` profile runs the same tier configs as tests/scale's native harness:
the gateway is the single-box collector plus the gateway overlay, and it lists exactly the
sampler services, which run the generated sampler config and write to Tempo."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SAMPLER = ROOT / "collector-config" / "scale" / "sampler.yaml"


def _services() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    services: dict[str, Any] = compose["services"]
    return services


def _mounted(service: dict[str, Any]) -> dict[str, str]:
    """container path -> repo path of each bind mount."""
    found = {}
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        if source.startswith("./"):
            found[target] = source[2:]
    return found


def test_the_profile_is_a_gateway_and_its_samplers() -> None:
    services = _services()
    scale = {n for n, s in services.items() if "scale" in s.get("profiles", [])}
    gateway = services["otel-gateway"]
    samplers = yaml.safe_load(gateway["environment"]["E2E_OTELCOL_SAMPLERS"])
    assert {h.split(":")[0] for h in samplers} | {"otel-gateway"} == scale
    assert all(h.endswith(":4317") for h in samplers)


def test_the_gateway_runs_the_single_box_config_with_the_overlay() -> None:
    services = _services()
    gateway, single = services["otel-gateway"], services["otel-collector"]
    configs = [c.removeprefix("--config=") for c in gateway["command"]]
    mounts = _mounted(gateway)
    assert [mounts[c] for c in configs] == [
        "collector-config/otelcol.yaml",
        "collector-config/scale/gateway.yaml",
    ]
    # Same values as the single-box collector for every variable both set (the pipeline is
    # the same); the gateway does not write raw spans to Tempo itself.
    env, base = gateway["environment"], single["environment"]
    assert {k: env[k] for k in env if k in base} == {k: base[k] for k in env if k in base}
    assert "E2E_OTELCOL_TEMPO_ENDPOINT" not in env


def test_each_sampler_runs_the_generated_config_and_sets_its_variables() -> None:
    services = _services()
    used = set(re.findall(r"\$\{env:(E2E_OTELCOL_\w+)", SAMPLER.read_text("utf-8")))
    for name in ("otel-sampler-1", "otel-sampler-2"):
        sampler = services[name]
        mounts = _mounted(sampler)
        (config,) = [c.removeprefix("--config=") for c in sampler["command"]]
        assert mounts[config] == "collector-config/scale/sampler.yaml"
        env = sampler["environment"]
        assert set(env) <= used, set(env) - used
        assert env["E2E_OTELCOL_TRACES_EXPORTERS"] == "[otlp_grpc/tempo]"
        assert env["E2E_OTELCOL_TEMPO_ENDPOINT"] == "tempo:4317"
