"""Drives ``e2e-otel validate`` against the real demo shop once for the whole package, so the
shop's exported spans can be read after it has stopped (and flushed)."""

from __future__ import annotations

import argparse
import io
import json
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from e2e_otel.cli import validate as cli_validate
from e2e_otel.config import Config, Threshold
from e2e_otel.discovery.django_models import DjangoDiscovery
from e2e_otel.sources.models import SpanRecord
from e2e_otel.validation.models import CheckResult, Plan, TestRequest, ValidationReport
from e2e_otel.validation.plan import build_plan
from e2e_otel.validation.requests_yaml import load_requests
from e2e_otel.validation.runner import Runner
from e2e_otel.validation.tracing import check_tracing
from tests.integration.services import SHOP

SECRET = "validation-test-secret-key-not-for-production-0123456789"
# In the strict CLI run's --base-url: must be dropped, neither sent (httpx would send it as
# Basic auth over the JWT logins' bearer tokens) nor printed nor traced.
URL_CREDENTIALS = "url-user:url-password-0451"
CREDENTIALS = {"SHOP_USER": "alice", "SHOP_PASSWORD": "alice-password", "SHOP_SECRET_KEY": SECRET}
EXAMPLE = SHOP / "validation.yaml"
# Functional runs must not depend on how fast this machine is.
GENEROUS = Threshold(60_000, 120_000)
SLOW_SEARCH = TestRequest(
    name="referrer search",
    method="GET",
    path="/api/reports/pageviews/",
    params={"referrer": "https://news.ycombinator.com/"},
    expected_status=(200,),
    template="api/reports/pageviews/",
)
WRONG_EXPECTATIONS = """
auth:
  username_env: SHOP_USER
  password_env: SHOP_PASSWORD
  jwt: {obtain_path: /api/auth/token/}
requests:
  - name: bad payload, expected
    method: POST
    path: /api/cart/items/
    auth: jwt
    json: {product_id: not-a-number}
    expected_status: [400, 422]
  - name: bad payload, wrongly expected to succeed
    method: POST
    path: /api/cart/items/
    auth: jwt
    json: {product_id: not-a-number}
    expected_status: 201
"""


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str
    report: dict[str, Any] = field(default_factory=dict)


@dataclass
class Runs:
    """Everything validate did against one shop, and the spans both sides exported."""

    default: ValidationReport
    example: ValidationReport
    wrong: ValidationReport
    slow_warning: ValidationReport
    slow_fail: ValidationReport
    cli_lenient: CliRun
    cli_strict: CliRun
    client_spans: list[ReadableSpan]
    cli_client_spans: list[SpanRecord] = field(default_factory=list)
    server_spans: list[SpanRecord] = field(default_factory=list)

    def reports(self) -> list[ValidationReport]:
        return [self.default, self.example, self.wrong, self.slow_warning, self.slow_fail]

    def sent_checks(self) -> list[CheckResult]:
        """Every check that reached the server, the CLI's included."""
        checks = [c for r in self.reports() for c in r.checks]
        for run in (self.cli_lenient, self.cli_strict):
            checks += [CheckResult(**_typed(c)) for c in run.report["checks"]]
        return [c for c in checks if c.status_code is not None]

    def server_span(self, check: CheckResult) -> SpanRecord:
        (span,) = [
            s for s in self.server_spans if s.trace_id == check.trace_id and s.kind == "server"
        ]
        return span


def _typed(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "expected_status": tuple(data["expected_status"]),
            "errors": tuple(data["errors"]), "warnings": tuple(data["warnings"])}  # fmt: skip


def run_cli(*argv: str) -> CliRun:
    """``e2e-otel validate ARGV`` in this process, as the top-level command registers it."""
    parser = argparse.ArgumentParser(prog="e2e-otel")
    cli_validate.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["validate", *argv])
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli_validate.run(args)
    return CliRun(code, out.getvalue(), err.getvalue())


def drive(base_url: str, discovery: DjangoDiscovery, tmp: Path) -> Runs:
    """The runs the tests look at, in one go."""
    exporter = InMemorySpanExporter()
    tracing = check_tracing(Config(), [exporter], batch=False)

    def run(plan: Plan, threshold: Threshold = GENEROUS) -> ValidationReport:
        return Runner(base_url, threshold, tracing, timeout_s=60).run(plan)

    wrong = tmp / "wrong.yaml"
    wrong.write_text(WRONG_EXPECTATIONS)
    try:
        default = run(build_plan(discovery))
        example = run(build_plan(discovery, load_requests(EXAMPLE, CREDENTIALS)))
        wrong_file = load_requests(wrong, CREDENTIALS)
        wrong_report = run(Plan(wrong_file.requests, wrong_file.auth))
        slow_warning = run(Plan((SLOW_SEARCH,)), Threshold(0.001, 600_000))
        slow_fail = run(Plan((SLOW_SEARCH,)), Threshold(0.001, 0.002))
    finally:
        tracing.shutdown()
    lenient = tmp / "warn-only.yaml"
    lenient.write_text("thresholds:\n  api: {warning_ms: 0.001, critical_ms: 600000}\n")
    common = ["--django-settings", "shop_project.settings",
              "--pythonpath", str(SHOP), "--requests", str(EXAMPLE), "--config", str(lenient),
              "--timeout", "60"]  # fmt: skip
    cli_lenient = run_cli("--base-url", base_url, *common, "--json", str(tmp / "lenient.json"))
    cli_lenient.report = json.loads((tmp / "lenient.json").read_text())
    with_credentials = base_url.replace("://", f"://{URL_CREDENTIALS}@", 1)
    cli_strict = run_cli("--base-url", with_credentials, *common, "--fail-on", "warning",
                         "--json", "-")  # fmt: skip
    cli_strict.report = json.loads(cli_strict.stdout)
    return Runs(
        default, example, wrong_report, slow_warning, slow_fail, cli_lenient, cli_strict,
        list(exporter.get_finished_spans()),
    )  # fmt: skip
