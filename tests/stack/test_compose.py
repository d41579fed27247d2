"""docker-compose.yml, checked statically: no Docker engine runs here.

Schema: the Compose Specification JSON schema as check-jsonschema ships it (vendored from
github.com/compose-spec/compose-spec, Apache-2.0). Then the wiring: mounted files exist, ports
and environment agree with the collector, Prometheus, Tempo and Grafana configurations.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from importlib.resources import files
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from e2e_otel.config import parse_config

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
BIND = "${E2E_STACK_BIND:-127.0.0.1}"
# Images without a shell or an HTTP client, so Docker cannot probe them from inside; one-shot
# and client-only services have nothing to probe.
NO_HEALTHCHECK = {
    "otel-collector": "distroless: probe http://127.0.0.1:13133/ from the host",
    "otel-gateway": "the same distroless collector image (scale profile)",
    "otel-sampler-1": "the same distroless collector image (scale profile)",
    "otel-sampler-2": "the same distroless collector image (scale profile)",
    "tempo": "distroless: probe http://127.0.0.1:3200/ready from the host",
    "tempo-init": "one-shot chown of the volume",
    "traffic": "a client loop, serves nothing",
}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = load(COMPOSE)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = compose["services"]
    return result


def binds(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> host path of the service's bind mounts."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            mounts[target] = source
    return mounts


def environment(service: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in service.get("environment", {}).items()}


def hostport(url: str) -> tuple[str, int]:
    parts = urlsplit(url if "//" in url else f"//{url}")
    assert parts.hostname is not None and parts.port is not None, url
    return parts.hostname, parts.port


def test_validates_against_the_compose_specification(compose: dict[str, Any]) -> None:
    schema_file = files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    jsonschema.validate(compose, schema, cls=jsonschema.Draft202012Validator)


def test_the_schema_rejects_a_broken_file(compose: dict[str, Any]) -> None:
    schema_file = files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    # A misspelt key (healthcheck) is what the schema catches that YAML parsing does not.
    broken = {**compose, "services": {"x": {"image": "a", "helthcheck": {"test": ["NONE"]}}}}
    with pytest.raises(jsonschema.ValidationError, match="helthcheck"):
        jsonschema.validate(broken, schema, cls=jsonschema.Draft202012Validator)


def test_every_mounted_file_and_build_input_exists(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for source in binds(service).values():
            assert (ROOT / source).exists(), f"{name}: {source} does not exist"
        build = service.get("build")
        if build:
            context = ROOT / build["context"]
            assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name
    assert (ROOT / "prometheus" / "rules" / "e2e-otel.rules.yml").is_file()


def test_named_volumes_are_declared_and_used(compose: dict[str, Any]) -> None:
    used = {
        volume.split(":")[0]
        for service in compose["services"].values()
        for volume in service.get("volumes", [])
        if not volume.startswith((".", "/"))
    }
    assert used == set(compose["volumes"])
    assert {"tempo-data", "prometheus-data", "grafana-data", "mysql-data"} <= used


def test_published_ports_listen_on_loopback_by_default(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for port in service.get("ports", []):
            assert port.startswith(f"{BIND}:"), f"{name}: {port} is not bound to {BIND}"


def test_images_are_pinned(services: dict[str, Any]) -> None:
    manifest = (ROOT / "collector-config" / "builder-manifest.yaml").read_text(encoding="utf-8")
    release = re.search(r"otlpreceiver v(\d+\.\d+\.\d+)", manifest)
    assert release is not None
    assert services["otel-collector"]["image"] == (
        f"otel/opentelemetry-collector-contrib:{release.group(1)}"
    )
    for name, service in services.items():
        image = service["image"]
        if "build" in service:
            assert image.endswith(":local"), name
            continue
        tag = image.rpartition(":")[2]
        assert re.fullmatch(r"v?\d+\.\d+\.\d+", tag), f"{name}: {image} is not an exact version"


def test_long_running_services_have_healthchecks(services: dict[str, Any]) -> None:
    for name, service in services.items():
        if name in NO_HEALTHCHECK:
            assert "healthcheck" not in service, name
        else:
            assert service["healthcheck"]["test"][0] == "CMD", name


def test_collector_environment_matches_its_configuration(services: dict[str, Any]) -> None:
    config_text = (ROOT / "collector-config" / "otelcol.yaml").read_text(encoding="utf-8")
    referenced = set(re.findall(r"\$\{env:(E2E_OTELCOL_\w+)", config_text))
    collector = services["otel-collector"]
    env = environment(collector)
    assert set(env) == referenced
    assert binds(collector) == {
        "/etc/otelcol-contrib/otelcol.yaml": "./collector-config/otelcol.yaml"
    }
    assert collector["command"] == ["--config=/etc/otelcol-contrib/otelcol.yaml"]
    # Pushes go to the compose services, on the ports those services listen on.
    assert env["E2E_OTELCOL_PROMETHEUS_REMOTE_WRITE_URL"] == "http://prometheus:9090/api/v1/write"
    assert hostport(env["E2E_OTELCOL_TEMPO_ENDPOINT"]) == ("tempo", tempo_otlp_grpc_port())
    assert env["E2E_OTELCOL_TRACES_EXPORTERS"] == "[otlp_grpc/tempo]"
    published = {int(p.split(":")[-1]) for p in collector["ports"]}
    for var in ("OTLP_GRPC_ENDPOINT", "OTLP_HTTP_ENDPOINT", "HEALTH_ENDPOINT"):
        assert hostport(env[f"E2E_OTELCOL_{var}"])[1] in published, var


def tempo_otlp_grpc_port() -> int:
    tempo = load(ROOT / "tempo" / "tempo.yaml")
    return hostport(tempo["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"])[1]


def test_prometheus_flags_mounts_and_scrape_targets(services: dict[str, Any]) -> None:
    prometheus = services["prometheus"]
    flags = prometheus["command"]
    assert "--web.enable-remote-write-receiver" in flags
    assert "--enable-feature=exemplar-storage" in flags
    config_path = next(f.split("=", 1)[1] for f in flags if f.startswith("--config.file="))
    mounts = binds(prometheus)
    assert mounts[config_path] == "./prometheus/prometheus.yml"
    config = load(ROOT / "prometheus" / "prometheus.yml")
    # rule_files are relative to the config file: each glob must land in a mounted directory
    # that holds rule files.
    for pattern in config["rule_files"]:
        in_container = PurePosixPath(config_path).parent / pattern
        host_dir = ROOT / mounts[str(in_container.parent)]
        assert list(host_dir.glob(in_container.name)), pattern
    env = environment(services["otel-collector"])
    ports = {
        "otel-collector": int(env["E2E_OTELCOL_TELEMETRY_PORT"]),
        "analyzer": 9464,
        "localhost": 9090,
    }
    for job in config["scrape_configs"]:
        for static in job["static_configs"]:
            for target in static["targets"]:
                host, port = hostport(target)
                assert host == "localhost" or host in services, target
                assert ports[host] == port, target
    assert "EXPOSE 9464" in (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_grafana_password_is_required_and_provisioning_is_mounted(
    services: dict[str, Any],
) -> None:
    grafana = services["grafana"]
    # No default password: empty unless .env or the shell sets it, and then Grafana's
    # entrypoint refuses to start, naming the script that writes .env.
    password = environment(grafana)["GF_SECURITY_ADMIN_PASSWORD"]
    assert password == "${GRAFANA_ADMIN_PASSWORD:-}"
    shell, flag, script, _ = grafana["entrypoint"]
    assert (shell, flag) == ("sh", "-c")
    assert script.startswith('[ -n "$$GF_SECURITY_ADMIN_PASSWORD" ] ||')
    assert "scripts/compose-env.sh" in script and "exit 78" in script
    assert script.endswith('exec /run.sh "$$@"')  # the image's own entrypoint
    mounts = binds(grafana)
    assert mounts["/etc/grafana/provisioning"] == "./grafana/provisioning"
    provider = load(ROOT / "grafana" / "provisioning" / "dashboards" / "dashboards.yaml")
    path = provider["providers"][0]["options"]["path"]
    assert mounts[path] == "./grafana/dashboards"
    home = environment(grafana)["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert (ROOT / "grafana" / "dashboards" / PurePosixPath(home).name).is_file()
    assert home.startswith(path + "/")


def test_grafana_datasources_point_at_the_compose_services(services: dict[str, Any]) -> None:
    datasources = load(ROOT / "grafana" / "provisioning" / "datasources" / "datasources.yaml")
    urls = {ds["uid"]: hostport(ds["url"]) for ds in datasources["datasources"]}
    tempo = load(ROOT / "tempo" / "tempo.yaml")
    assert urls == {
        "prometheus": ("prometheus", 9090),
        "tempo": ("tempo", tempo["server"]["http_listen_port"]),
    }


def test_tempo_configuration(services: dict[str, Any]) -> None:
    tempo = load(ROOT / "tempo" / "tempo.yaml")
    assert tempo["usage_report"]["reporting_enabled"] is False
    generator = tempo["metrics_generator"]
    assert generator["processor"]["local_blocks"]["filter_server_spans"] is False
    assert {"service_graphs", "span_metrics", "local_blocks"} <= set(generator["processor"])
    assert "local-blocks" in tempo["overrides"]["defaults"]["metrics_generator"]["processors"]
    assert [w["url"] for w in generator["storage"]["remote_write"]] == [
        "http://prometheus:9090/api/v1/write"
    ]
    volume_root = next(
        v.split(":")[1] for v in services["tempo"]["volumes"] if v.startswith("tempo-data:")
    )
    paths = [
        tempo["storage"]["trace"]["wal"]["path"],
        tempo["storage"]["trace"]["local"]["path"],
        generator["storage"]["path"],
        generator["traces_storage"]["path"],
    ]
    assert all(p.startswith(volume_root + "/") for p in paths), paths
    assert binds(services["tempo"]) == {"/etc/tempo/tempo.yaml": "./tempo/tempo.yaml"}


def test_analyzer_is_wired_with_a_valid_configuration(compose: dict[str, Any]) -> None:
    analyzer = compose["services"]["analyzer"]
    target = analyzer["configs"][0]["target"]
    assert environment(analyzer)["E2E_OTEL_CONFIG"] == target
    content = compose["configs"][analyzer["configs"][0]["source"]]["content"]
    config = parse_config(yaml.safe_load(content), "docker-compose.yml analyzer-config")
    backends = {
        "tempo": config.backends.tempo.url,
        "prometheus": config.backends.prometheus.url,
        "grafana": config.backends.grafana.url,
    }
    ports = {"tempo": 3200, "prometheus": 9090, "grafana": 3000}
    for name, url in backends.items():
        assert hostport(url) == (name, ports[name])
    assert config.backends.grafana.token_env in environment(analyzer)


def test_analyzer_command_is_service_mode_on_the_scraped_port(compose: dict[str, Any]) -> None:
    """The command is what our CLI parses into service mode on both backends, listening on
    the port Prometheus's analyzer job scrapes (the image's entrypoint is `e2e-otel`)."""
    from e2e_otel.cli.main import build_parser
    from e2e_otel.cli.plan import plan_from_args

    analyzer = compose["services"]["analyzer"]
    assert "entrypoint" not in analyzer
    assert 'ENTRYPOINT ["e2e-otel"]' in (ROOT / "Dockerfile").read_text(encoding="utf-8")
    args = build_parser().parse_args(analyzer["command"])
    plan = plan_from_args(args, progress=lambda: None)
    assert plan.every == timedelta(minutes=5)
    assert plan.listen == ("0.0.0.0", 9464)
    assert plan.source.startswith("prometheus ") and " + tempo " in plan.source
    scrape = yaml.safe_load((ROOT / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in scrape["scrape_configs"]}
    targets = jobs["e2e-otel-analyzer"]["static_configs"][0]["targets"]
    assert targets == ["analyzer:9464"]


def test_demo_profile(services: dict[str, Any]) -> None:
    demo = {name for name, s in services.items() if "demo" in s.get("profiles", [])}
    assert demo == {"mysql", "shop", "traffic"}
    mysql, shop = environment(services["mysql"]), environment(services["shop"])
    assert shop["SHOP_DB_HOST"] == "mysql" and shop["SHOP_DB_PORT"] == "3306"
    assert shop["SHOP_DB_NAME"] == mysql["MYSQL_DATABASE"]
    assert shop["SHOP_DB_USER"] == mysql["MYSQL_USER"]
    assert shop["SHOP_DB_PASSWORD"] == mysql["MYSQL_PASSWORD"]
    assert hostport(shop["OTEL_EXPORTER_OTLP_ENDPOINT"]) == ("otel-collector", 4318)
    assert (ROOT / "examples" / "shop" / PurePosixPath(shop["E2E_OTEL_CONFIG"]).name).is_file()
    assert services["traffic"]["network_mode"] == "service:shop"
    assert "http://127.0.0.1:8000" in services["traffic"]["command"][0]


def test_dockerfiles_copy_only_what_the_build_context_keeps() -> None:
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    kept = [line[1:].rstrip("/") for line in ignore if line.startswith("!")]
    for dockerfile in (ROOT / "Dockerfile", ROOT / "examples" / "shop" / "Dockerfile"):
        for line in dockerfile.read_text(encoding="utf-8").splitlines():
            if line.startswith("COPY "):
                for source in line.split()[1:-1]:
                    assert any(source == k or source.startswith(k + "/") for k in kept), (
                        f"{dockerfile.name}: {source} is excluded by .dockerignore"
                    )
                    assert (ROOT / source).exists(), source
