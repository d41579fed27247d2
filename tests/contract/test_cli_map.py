"""``e2e-otel map`` end to end on the fixture and the demo shop: output formats, the CI gate,
one-line errors."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from e2e_otel.cli import map as cli_map
from tests.contract.conftest import FRONTEND, SETTINGS
from tests.contract.test_traffic import SHOP_REQUESTS, write_requests
from tests.discovery.test_django_scan import write_project
from tests.integration.services import SHOP


def run_map(*extra: str | Path) -> int:
    parser = argparse.ArgumentParser()
    cli_map.add_parser(parser.add_subparsers(dest="command"))
    base = ["map", "--nextjs", str(FRONTEND), "--django-settings", SETTINGS]
    args = parser.parse_args([*base, "--pythonpath", str(SHOP), *map(str, extra)])
    return cli_map.run(args)


@pytest.fixture(autouse=True)
def sqlite_shop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_DB_ENGINE", "sqlite")


def test_markdown_on_stdout_and_the_default_gate_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_map() == 1  # the planted 404, 405 and POST without its trailing slash
    out, err = capsys.readouterr()
    assert out.startswith("### e2e-otel contract map")
    assert "| 404 not found | `POST /api/auth/register/`" in out
    assert err.strip().endswith("24 ok")


def test_gating_on_an_absent_verdict_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_map("--fail-on", "external") == 0
    assert run_map("--fail-on", "") == 0
    assert run_map("--fail-on", "missing_credentials") == 1
    assert run_map("--fail-on", "missing_trailing_slash") == 1


def test_json_and_markdown_files_with_traffic(tmp_path: Path) -> None:
    traces = write_requests(tmp_path / "t.jsonl", "shop-api", SHOP_REQUESTS)
    out_json, out_md = tmp_path / "out" / "map.json", tmp_path / "out" / "map.md"
    code = run_map("--traces", traces, "--json", out_json, "--markdown", out_md, "--fail-on", "")
    assert code == 0
    document = json.loads(out_json.read_text())
    assert document["version"] == 1 and document["summary"]["not_found"] == 1
    assert [r["route"] for r in document["traffic"]["undiscovered"]] == ["api/legacy/export/"]
    assert "Traffic to undiscovered routes (1):" in out_md.read_text()


def test_a_post_to_a_view_answering_in_dispatch_passes_the_gate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "front" / "app" / "page.tsx"
    page.parent.mkdir(parents=True)
    page.write_text(
        "export default async function Page() {\n"
        "  await fetch(`${process.env.NEXT_PUBLIC_API_URL}/graphql/`, "
        '{ method: "POST", credentials: "include" });\n'
        "  return null;\n}\n"
    )
    project = write_project(tmp_path / "fx")
    parser = argparse.ArgumentParser()
    cli_map.add_parser(parser.add_subparsers(dest="command"))
    argv = ["map", "--nextjs", str(page.parents[1]), "--django-settings", "fx_settings"]
    assert cli_map.run(parser.parse_args([*argv, "--pythonpath", str(project)])) == 0
    out, err = capsys.readouterr()
    assert err.strip().endswith("1 calls: 1 ok")
    assert "fx_app.views.GraphQLView" not in out.partition("<details>")[0]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--fail-on", "not_found,teapot"), "unknown verdict 'teapot'"),
        (("--traces", "/nonexistent/t.jsonl"), "no such traces file"),
        (("--prometheus", "http://127.0.0.1:9", "--window", "soon"), "--window"),
        (("--nextjs", "/nonexistent/app"), "/nonexistent/app"),
        (("--django-settings", "no_such_project.settings"), "no_such_project"),
    ],
)
def test_errors_are_one_line_and_exit_2(
    flags: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_map(*flags) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("e2e-otel: error: ") and message in err


# The analyzer extra's modules made unimportable, as in an install of the discovery and
# django extras only; then the command line runs as `e2e-otel` does.
WITHOUT_ANALYZER = """
import sys
for name in ("httpx", "numpy", "scipy", "sqlglot", "jsonschema", "prometheus_client",
             "msgspec", "pymysql"):
    sys.modules[name] = None
from e2e_otel.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_map_needs_no_analyzer_extra_and_prometheus_names_it(tmp_path: Path) -> None:
    traces = write_requests(tmp_path / "t.jsonl", "shop-api", SHOP_REQUESTS)
    argv = ["map", "--nextjs", str(FRONTEND), "--django-settings", SETTINGS,
            "--pythonpath", str(SHOP), "--traces", str(traces)]  # fmt: skip
    env = {**os.environ, "SHOP_DB_ENGINE": "sqlite"}
    python = [sys.executable, "-c", WITHOUT_ANALYZER]
    mapped = subprocess.run([*python, *argv], capture_output=True, text=True, env=env)
    assert mapped.returncode == 1, mapped.stderr  # the gate: the fixture's planted 404 ...
    assert mapped.stdout.startswith("### e2e-otel contract map")
    assert "Traffic to undiscovered routes (1):" in mapped.stdout
    remote = [*argv[:-2], "--prometheus", "http://127.0.0.1:9"]
    refused = subprocess.run([*python, *remote], capture_output=True, text=True, env=env)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert refused.stderr.startswith("e2e-otel: error: ")
    assert "pip install 'e2e-otel[analyzer]'" in refused.stderr
