"""docker-compose.yml as an operator meets it on a first `docker compose up`: every subcommand
works without the password set, ports can move, SELinux hosts can read the mounts, nothing
floats, and the collector's memory limit means something. Checked statically (no Docker)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.stack.test_compose import BIND, COMPOSE, ROOT, environment, load


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    result: dict[str, Any] = load(COMPOSE)["services"]
    return result


def test_every_interpolation_has_a_default_so_every_subcommand_works() -> None:
    """`${VAR:?}` (or a bare `${VAR}`) would make `docker compose ps/down/logs` fail in a shell
    without the variable: compose interpolates the whole file for every subcommand."""
    text = COMPOSE.read_text(encoding="utf-8")
    found = re.findall(r"(?<!\$)\$\{([A-Za-z_]\w*)([^}]*)\}", text)
    assert found
    for name, rest in found:
        assert rest.startswith(":-"), f"${{{name}{rest}}} has no default"


def test_every_published_port_is_overridable(services: dict[str, Any]) -> None:
    documented = (ROOT / "docs" / "stack.md").read_text(encoding="utf-8")
    host_ports = {}
    for name, service in services.items():
        for port in service.get("ports", []):
            match = re.fullmatch(rf"{re.escape(BIND)}:\$\{{(E2E_\w+_PORT):-(\d+)\}}:(\d+)", port)
            assert match, f"{name}: {port} has a fixed host port"
            variable, default, _ = match.groups()
            assert variable not in host_ports, variable
            host_ports[variable] = default
            assert f"`{variable}`" in documented, f"{variable} is not in docs/stack.md"
    assert host_ports["E2E_GRAFANA_PORT"] == "3000"
    assert len(host_ports) == 9  # 7 + the scale profile's gateway (docs/scaling.md)


def test_bind_mounts_are_labelled_for_selinux(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for volume in service.get("volumes", []):
            if volume.startswith((".", "/")):
                options = volume.split(":")[2].split(",")
                assert "z" in options and "ro" in options, f"{name}: {volume}"


def test_prometheus_has_no_lifecycle_api(services: dict[str, Any]) -> None:
    assert not any("lifecycle" in flag for flag in services["prometheus"]["command"])


def test_collector_memory_limit_is_fixed_and_below_the_container_limit(
    services: dict[str, Any],
) -> None:
    config = load(ROOT / "collector-config" / "otelcol.yaml")
    limiter = config["processors"]["memory_limiter"]
    assert not {"limit_percentage", "spike_limit_percentage"} & set(limiter)
    assert limiter["limit_mib"] == "${env:E2E_OTELCOL_MEMORY_LIMIT_MIB:-512}"
    collector = services["otel-collector"]
    env = environment(collector)
    limit_mib = int(re.sub(r"\$\{\w+:-(\d+)\}", r"\1", env["E2E_OTELCOL_MEMORY_LIMIT_MIB"]))
    mem_limit = re.fullmatch(r"\$\{\w+:-(\d+)m\}", collector["mem_limit"])
    assert mem_limit and limit_mib < int(mem_limit.group(1)), collector["mem_limit"]


def test_the_analyzer_image_is_pinned_to_a_patch_release() -> None:
    bases = re.findall(r"^FROM (\S+)", (ROOT / "Dockerfile").read_text(encoding="utf-8"), re.M)
    assert bases and all(
        re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+(-[\w.-]+)?(@sha256:[0-9a-f]{64})?", b) for b in bases
    ), bases


def test_compose_env_writes_a_password_once(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    script = tmp_path / "scripts" / "compose-env.sh"
    script.write_bytes((ROOT / "scripts" / "compose-env.sh").read_bytes())
    script.chmod(0o755)

    def run(*args: str) -> str:
        done = subprocess.run(
            [str(script), *args], capture_output=True, text=True, timeout=30, check=True
        )
        return done.stdout.strip()

    first = run("--print")
    env_file = tmp_path / ".env"
    assert re.fullmatch(r"[A-Za-z0-9]{24}", first)
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert run("--print") == first  # kept, not regenerated
    # Every variable the file mentions is one compose reads.
    compose_vars = set(re.findall(r"\$\{(\w+):-", COMPOSE.read_text(encoding="utf-8")))
    mentioned = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", env_file.read_text("utf-8"), re.M))
    assert mentioned <= compose_vars, mentioned - compose_vars
    env_file.write_text("E2E_GRAFANA_PORT=3001\n", encoding="utf-8")
    env_file.chmod(0o644)  # made by hand, readable by all
    added = run("--print")
    assert env_file.stat().st_mode & 0o777 == 0o600  # it holds a password now
    assert added != first and env_file.read_text("utf-8").startswith("E2E_GRAFANA_PORT=3001\n")


@pytest.mark.parametrize(
    ("reported", "ok"),
    [("2.23.1", True), ("v2.29.7", True), ("2.23.0", False), ("2.9.10", False)],
)
def test_compose_env_refuses_a_compose_older_than_the_file_needs(
    tmp_path: Path, reported: str, ok: bool
) -> None:
    (tmp_path / "scripts").mkdir()
    script = tmp_path / "scripts" / "compose-env.sh"
    script.write_bytes((ROOT / "scripts" / "compose-env.sh").read_bytes())
    fake = tmp_path / "bin"
    fake.mkdir()
    docker = fake / "docker"  # `docker compose version --short` as Compose prints it
    docker.write_text(f'#!/bin/sh\necho "{reported}"\n', encoding="utf-8")
    docker.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, timeout=30, env=env, check=False
    )
    assert (done.returncode == 0) is ok, done.stderr
    if not ok:
        assert "older than v2.23.1" in done.stderr and len(done.stderr.splitlines()) == 1
        assert not (tmp_path / ".env").exists()
