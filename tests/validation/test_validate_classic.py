"""``e2e-otel validate`` on a classic Django app served for real (the django-classic fixture):
``@login_required`` pages, Django's form LoginView, DRF token and custom-header
authentication. Its one real fault, a ``NoReverseMatch`` 500, must be the only failure, and
the first line of the table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.validation.classic import CLASSIC, SECRETS, SETTINGS, ClassicServer
from tests.validation.harness import CliRun, run_cli

REQUESTS = CLASSIC / "validation.yaml"


@pytest.fixture(scope="module")
def classic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClassicServer]:
    server = ClassicServer(tmp_path_factory.mktemp("classic"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def validate(server: ClassicServer, tmp: Path, **secrets: str) -> CliRun:
    config = tmp / "e2e-otel.yaml"
    # Functional checks: response times must not decide them on a slow machine.
    config.write_text("thresholds:\n  api: {warning_ms: 60000, critical_ms: 120000}\n")
    out = tmp / "report.json"
    with pytest.MonkeyPatch.context() as env:
        for name, value in {**SECRETS, **secrets}.items():
            env.setenv(name, value)
        env.setenv("OTEL_TRACES_EXPORTER", "none")
        env.delenv("E2E_OTEL_TRACES_FILE", raising=False)
        run = run_cli("--base-url", server.base_url, "--django-settings", SETTINGS,
                      "--pythonpath", str(CLASSIC), "--requests", str(REQUESTS),
                      "--config", str(config), "--json", str(out))  # fmt: skip
    run.report = json.loads(out.read_text())
    return run


@pytest.fixture(scope="module")
def run(classic: ClassicServer, tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    return validate(classic, tmp_path_factory.mktemp("run"))


def statuses(run: CliRun) -> dict[str, tuple[str, int | None]]:
    return {c["name"]: (c["status"], c["status_code"]) for c in run.report["checks"]}


def test_the_real_500_is_the_only_failure_and_comes_first(run: CliRun) -> None:
    failed = [c["name"] for c in run.report["checks"] if c["status"] != "pass"]
    assert failed == ["GET reports/overdue/"], run.stdout
    assert run.code == 1
    first = run.stdout.splitlines()[1]
    assert first.startswith("FAIL  500") and first.endswith("GET reports/overdue/")


def test_login_required_pages_redirect_anonymously_and_answer_logged_in(run: CliRun) -> None:
    checks = statuses(run)
    for page in ("shelf/", "reader/"):
        assert checks[f"GET {page} (anonymous: to the login page)"] == ("pass", 302)
        assert checks[f"GET {page} (session)"] == ("pass", 200)


def test_the_form_login_view_logs_in_with_its_csrf_token(run: CliRun) -> None:
    checks = statuses(run)
    assert checks["login: session form"] == ("pass", 200)
    assert checks["login: session"] == ("pass", 302)
    assert checks["login: session redirect"] == ("pass", 200)  # LOGIN_REDIRECT_URL, logged in


def test_token_and_custom_header_logins(run: CliRun) -> None:
    checks = statuses(run)
    assert checks["login: token obtain"] == ("pass", 200)
    assert checks["GET api/volumes/ (anonymous)"] == ("pass", 401)
    assert checks["GET api/volumes/ (token)"] == ("pass", 200)
    assert checks["GET api/partner/catalogue/ (anonymous)"] == ("pass", 403)
    assert checks["GET api/partner/catalogue/ (header)"] == ("pass", 200)
    assert checks["whole-volume update is refused"] == ("pass", 405)
    sent = json.dumps(run.report) + run.stdout + run.stderr
    assert SECRETS["CLASSIC_PARTNER_KEY"] not in sent and SECRETS["CLASSIC_PASSWORD"] not in sent


def test_a_login_form_that_comes_back_fails_loudly(classic: ClassicServer, tmp_path: Path) -> None:
    run = validate(classic, tmp_path, CLASSIC_PASSWORD="not-the-password")
    checks = {c["name"]: c for c in run.report["checks"]}
    login = checks["login: session"]
    assert (login["status"], login["status_code"]) == ("fail", 200)
    assert "set no session cookie" in login["errors"][0]
    shelf = checks["GET shelf/ (session)"]
    assert shelf["status"] == "fail" and shelf["errors"][0].startswith("not sent: login: session")
    assert checks["login: token obtain"]["status"] == "fail"  # same wrong password
    assert checks["GET api/partner/catalogue/ (header)"]["status"] == "pass"
