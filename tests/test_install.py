"""The install paths the docs give, from the built wheel, each in a clean venv with exactly the
extras its doc names (docs/quickstart.md, "Which extra for which command"): each documented
command runs, a command whose extra is missing says which one in one line, and the traced app's
own install carries none of the analyzer's dependencies.

Run from a directory outside the checkout, so only the installed wheel can be imported. Slow
(one venv per extra set, a minute or two with pip's cache): marked as an integration test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.services import ROOT, clean_env

pytestmark = pytest.mark.integration

ANALYZER_ONLY = (
    "numpy", "scipy", "sqlglot", "jsonschema", "httpx", "prometheus_client", "msgspec",
)  # fmt: skip
APP = textwrap.dedent(
    """
    from opentelemetry import trace
    tracer = trace.get_tracer("opentelemetry.instrumentation.django")
    db = trace.get_tracer("opentelemetry.instrumentation.pymysql")
    for n in range(30):
        with tracer.start_as_current_span("GET api/items/", kind=trace.SpanKind.SERVER) as s:
            s.set_attributes({"http.route": "api/items/", "http.method": "GET",
                              "http.status_code": 200, "e2e.workflow.type": "product_fetch"})
            for i in range(12):
                with db.start_as_current_span("SELECT", kind=trace.SpanKind.CLIENT) as q:
                    q.set_attributes({"db.system": "mysql",
                                      "db.statement": f"SELECT * FROM tag WHERE item_id = {i}"})
    """
)
# A Django project with plain views (no DRF): what `discover django` and `map` read.
SETTINGS = "SECRET_KEY = 'x'\nROOT_URLCONF = 'fx_urls'\nINSTALLED_APPS = []\n"
URLS = textwrap.dedent(
    """
    from django.http import JsonResponse
    from django.urls import path

    def items(request):
        return JsonResponse({})

    urlpatterns = [path("api/items/", items), path("api/items/<int:pk>/", items)]
    """
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)]
    _check(subprocess.run(command, capture_output=True, text=True, timeout=600), "pip wheel")
    (built,) = out.glob("e2e_otel-*.whl")
    return built


class Env:
    """A clean venv with the wheel and ``extras`` installed; commands run in ``work``."""

    def __init__(self, root: Path, wheel: Path, extras: str) -> None:
        venv.create(root / "venv", with_pip=True)
        self.bin = root / "venv" / "bin"
        self.work = root / "work"
        self.work.mkdir()
        spec = f"{wheel}[{extras}]" if extras else str(wheel)
        install = [str(self.bin / "python"), "-m", "pip", "install", "-q", spec]
        _check(subprocess.run(install, capture_output=True, text=True, timeout=900), "install")

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        return subprocess.run(
            command,
            cwd=self.work,
            env=clean_env({"PATH": f"{self.bin}:{os.environ['PATH']}", **env}),
            capture_output=True,
            text=True,
            timeout=300,
        )

    def importable(self, *modules: str) -> list[str]:
        """Which of ``modules`` this venv can import."""
        probe = (
            "import importlib.util, json, sys; "
            "print(json.dumps([m for m in sys.argv[1:] if importlib.util.find_spec(m)]))"
        )
        found: list[str] = json.loads(_ok(self.run("python", "-c", probe, *modules)))
        return found


def _check(result: subprocess.CompletedProcess[str], what: str) -> None:
    assert result.returncode == 0, f"{what} failed:\n{result.stderr[-3000:]}"


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return result.stdout


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("e2e-otel: error: "), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def app_env(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield Env(tmp_path_factory.mktemp("app"), wheel, "django,mysql")


@pytest.fixture(scope="module")
def traces(app_env: Env) -> Path:
    """Spans written by the installed distro under opentelemetry-instrument."""
    path = app_env.work / "traces.jsonl"
    env = {"OTEL_TRACES_EXPORTER": "none", "E2E_OTEL_TRACES_FILE": str(path)}
    _ok(app_env.run("opentelemetry-instrument", "python", "-c", APP, **env))
    assert path.stat().st_size > 0
    return path


def test_the_traced_app_install_traces_and_carries_no_analyzer(app_env: Env, traces: Path) -> None:
    assert app_env.importable(*ANALYZER_ONLY, "tree_sitter") == []
    first = json.loads(traces.read_text().splitlines()[0])
    spans = first["resourceSpans"][0]["scopeSpans"][0]["spans"]
    keys = {a["key"] for span in spans for a in span["attributes"]}
    assert {"e2e.layer", "e2e.db.fingerprint_id"} <= keys
    assert "item_id = 3" not in traces.read_text()  # literals never leave the process


def test_the_app_install_runs_its_commands_and_names_the_missing_extra(
    app_env: Env, traces: Path
) -> None:
    assert _ok(app_env.run("e2e-otel", "--version")).startswith("e2e-otel ")
    _ok(app_env.run("e2e-otel", "config", str(ROOT / "examples" / "shop" / "e2e-otel.yaml")))
    assert "\t" in _ok(app_env.run("e2e-otel", "fingerprint", "SELECT 1"))
    assert "product_fetch" in _ok(app_env.run("e2e-otel", "summary", str(traces)))
    assert "groups:" in _ok(app_env.run("e2e-otel", "rules"))
    assert "tail_sampling:" in _ok(app_env.run("e2e-otel", "sampling"))
    line = _one_line_error(app_env.run("e2e-otel", "analyze", str(traces)))
    assert "pip install 'e2e-otel[analyzer]'" in line


def test_the_analyzer_install_analyzes_the_apps_traces(
    wheel: Path, traces: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = Env(tmp_path_factory.mktemp("analyzer"), wheel, "analyzer")
    report = env.work / "report.json"
    _ok(env.run("e2e-otel", "analyze", str(traces), "--json", str(report), "--html", "r.html"))
    data = json.loads(report.read_text())
    assert (data["spans"], data["traces"], data["complete"]) == (30 * 13, 30, True)
    assert (env.work / "r.html").read_text().startswith("<!DOCTYPE html>")
    # Files are read by the fast reader (msgspec), not silently by the general one only.
    probe = "from e2e_otel.sources.otlp_fast import decode_fields; print('fast')"
    assert _ok(env.run("python", "-c", probe)).strip() == "fast"
    # Nothing in the analyzer's tree replaces the environment's urllib3 (urllib3-future, which
    # niquests brings, did: requests then started a thread per new connection, which Python
    # 3.12+ refuses at shutdown, so a traced script's last spans were lost).
    owners = "import importlib.metadata as m; print(m.packages_distributions().get('urllib3'))"
    assert "urllib3-future" not in _ok(env.run("python", "-c", owners))
    # db health connects with PyMySQL: an unreachable server is one line, not a missing module.
    line = _one_line_error(
        env.run("e2e-otel", "db", "health", "--dsn", "mysql://u:p@127.0.0.1:1/x")
    )
    assert "cannot connect" in line


def test_the_discovery_install_scans_and_maps(
    wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = Env(tmp_path_factory.mktemp("discovery"), wheel, "discovery,django")
    frontend = str(ROOT / "tests" / "fixtures" / "nextjs-shop")
    (env.work / "fx_settings.py").write_text(SETTINGS)
    (env.work / "fx_urls.py").write_text(URLS)
    found = json.loads(_ok(env.run("e2e-otel", "discover", "nextjs", frontend, "--json", "-")))
    assert found["calls"]
    django = ["discover", "django", "--settings", "fx_settings", "--pythonpath", "."]
    assert "api/items/" in _ok(env.run("e2e-otel", *django))
    mapped = env.run(
        "e2e-otel", "map", "--nextjs", frontend, "--django-settings", "fx_settings",
        "--pythonpath", ".",
    )  # fmt: skip
    assert mapped.returncode in (0, 1), mapped.stderr  # 1: the gate found problems
    assert mapped.stdout.startswith("### e2e-otel contract map")
    assert env.importable("numpy", "scipy", "httpx") == []


def test_the_stack_install_writes_dashboards_and_rules(
    wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = Env(tmp_path_factory.mktemp("stack"), wheel, "stack")
    written = _ok(env.run("e2e-otel", "dashboards", "-o", "dashboards")).split()
    assert len(written) >= 5 and all(Path(env.work / p).is_file() for p in written)
    assert "groups:" in _ok(env.run("e2e-otel", "rules"))
