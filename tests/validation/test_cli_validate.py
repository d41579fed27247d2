"""The ``validate`` command: exit codes, its output, and its own spans from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.services import free_port
from tests.validation.harness import URL_CREDENTIALS, CliRun, Runs, run_cli

pytestmark = pytest.mark.integration


def test_warnings_pass_unless_fail_on_warning(runs: Runs) -> None:
    lenient, strict = runs.cli_lenient, runs.cli_strict
    assert lenient.code == 0, lenient.stdout + lenient.stderr
    assert strict.code == 1, strict.stderr
    for run in (lenient, strict):
        summary = run.report["summary"]
        assert summary["fail"] == 0 and summary["warning"] >= 10, run.report
        assert run.report["thresholds"] == {"warning_ms": 0.001, "critical_ms": 600000.0}
    table = lenient.stdout.splitlines()
    assert any(line.startswith("WARN  200") and "GET api/products/" in line for line in table)
    assert "warning: took " in lenient.stdout
    assert table[-1].startswith(f"{len(lenient.report['checks'])} checks against http://")


def test_cli_spans_are_exported_where_the_environment_says(runs: Runs) -> None:
    spans = runs.cli_client_spans
    trace_ids = {c["trace_id"] for r in (runs.cli_lenient, runs.cli_strict)
                 for c in r.report["checks"]}  # fmt: skip
    assert {s.trace_id for s in spans} == trace_ids
    for span in spans:
        assert span.kind == "client"
        assert span.service_name == "e2e-otel-validate"
        assert span.attributes["e2e.workflow.type"] == "validation"
        assert span.attributes["e2e.layer"] == "external"


def test_credentials_in_the_base_url_are_neither_sent_nor_shown_nor_traced(runs: Runs) -> None:
    # The strict run's --base-url holds URL_CREDENTIALS; its JWT checks passing (see above)
    # shows they were not sent as Basic auth over the bearer tokens.
    strict = runs.cli_strict
    warning = strict.stderr.splitlines()[0]
    assert warning.startswith("e2e-otel: warning: --base-url holds credentials (user:password@)")
    secret = URL_CREDENTIALS.split(":")[1]
    assert secret not in strict.stdout + strict.stderr
    assert strict.report["base_url"] == runs.default.base_url
    assert all("@" not in check["url"] for check in strict.report["checks"])
    traced = [str(span.attributes.get("url.full", "")) for span in runs.cli_client_spans]
    assert traced and not [url for url in traced if "@" in url or secret in url]


@pytest.mark.parametrize(
    ("host", "shown"),
    [("127.0.0.1:{port}/", "http://127.0.0.1:{port}/: "), ("[::1", "http://[::1: Invalid port")],
)
def test_credentials_in_an_unreachable_or_invalid_base_url_are_not_shown(
    host: str, shown: str
) -> None:
    port = free_port()
    # Also with "/", "?" or "#" left unencoded in the password, which ends a URL's host early.
    for credentials in (URL_CREDENTIALS, URL_CREDENTIALS + "/x?y#z"):
        url = f"http://{credentials}@{host.format(port=port)}"
        run = run_cli("--base-url", url, "--django-settings", "x.settings")
        assert run.code == 2
        warning, error = run.stderr.splitlines()
        assert warning.startswith("e2e-otel: warning: --base-url holds credentials")
        assert error.startswith(f"e2e-otel: error: cannot reach {shown.format(port=port)}")
        assert URL_CREDENTIALS.split(":")[1] not in run.stderr


def _with_requests(tmp_path: Path, text: str) -> tuple[Path, CliRun]:
    """The command with this requests file; the base URL is never reached (the file is bad)."""
    path = tmp_path / "requests.yaml"
    path.write_text(text)
    return path, run_cli(
        "--base-url",
        "http://127.0.0.1:9",
        "--django-settings",
        "x.settings",
        "--requests",
        str(path),
    )


def test_bad_yaml_exits_2_with_one_line_naming_file_and_key(tmp_path: Path) -> None:
    bad, run = _with_requests(tmp_path, "requests:\n  - path: /x/\n    expected_status: 500\n")
    assert run.code == 2
    assert run.stdout == ""
    assert run.stderr == (
        f"e2e-otel: error: {bad}: requests[0].expected_status: "
        "expected HTTP statuses from 100 to 499, got 500\n"
    )


def test_a_literal_password_is_refused(tmp_path: Path) -> None:
    bad, run = _with_requests(tmp_path, "auth:\n  username_env: U\n  password: hunter2\n")
    assert run.code == 2
    assert run.stderr.startswith(f"e2e-otel: error: {bad}: auth.password: secrets are never")
    assert "hunter2" not in run.stderr
    assert run.stderr.count("\n") == 1


def test_unreachable_base_url_exits_2_with_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    run = run_cli("--base-url", url, "--django-settings", "x.settings")
    assert run.code == 2
    assert run.stdout == ""
    assert run.stderr.startswith(f"e2e-otel: error: cannot reach {url}: ")
    assert run.stderr.count("\n") == 1
