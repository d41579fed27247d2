"""The attribute contract (docs/attributes.md) on real spans: the demo shop on real MariaDB, traced by
e2e-otel both under ``opentelemetry-instrument`` (no code change) and under ``configure()``."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import jwt
import pytest

from e2e_otel.sources.models import SpanRecord
from e2e_otel.sources.otlp_files import read_spans
from tests.integration.services import MariaDB, ShopServer, require_mysqlclient

pytestmark = pytest.mark.integration
SECRET = "integration-test-secret-key-not-for-production-0123456789"
# Values planted in headers and in database errors; none may reach the exported file.
PLANTED_HEADERS = {
    "X-CSRFToken": "planted-csrf-4f1d",
    "X-Auth-Token": "planted-auth-9c2e",
    "X-Password": "planted-password-77ab",
    "X-Hub-Signature-256": "planted-signature-03cd",
}
PLANTED_SKU = "planted-sku-e51b"
DUPLICATED_SKU = "SKU-00001"  # the first seeded product's, which duplicate-sku inserts again


@dataclass
class Call:
    label: str
    status: int
    correlation_id: str | None
    trace_id: str | None
    sent_correlation_id: str | None = None


@dataclass
class Run:
    calls: dict[str, Call]
    spans: list[SpanRecord]
    secrets: list[str]
    log: str
    raw: str  # the exported OTLP JSON file as written
    traces: dict[str, list[SpanRecord]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        by_trace: dict[str, list[SpanRecord]] = defaultdict(list)
        for span in self.spans:
            by_trace[span.trace_id].append(span)
        self.traces = dict(by_trace)

    def trace_of(self, label: str) -> list[SpanRecord]:
        call = self.calls[label]
        assert call.trace_id, f"{label}: no traceresponse header"
        spans = self.traces.get(call.trace_id)
        assert spans, f"{label}: trace {call.trace_id} not exported"
        return spans

    def server_span(self, label: str) -> SpanRecord:
        (server,) = [s for s in self.trace_of(label) if s.kind == "server"]
        return server

    def db_spans(self, label: str) -> list[SpanRecord]:
        return [s for s in self.trace_of(label) if s.attributes.get("e2e.layer") == "database"]


def _call(client: httpx.Client, label: str, method: str, path: str, **kwargs: object) -> Call:
    headers = dict(kwargs.pop("headers", {}) or {})  # type: ignore[call-overload]
    response = client.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
    traceresponse = response.headers.get("traceresponse")
    match = re.fullmatch(r"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}", traceresponse or "")
    return Call(
        label=label,
        status=response.status_code,
        correlation_id=response.headers.get("X-Correlation-ID"),
        trace_id=match.group(1) if match else None,
        sent_correlation_id=headers.get("X-Correlation-ID"),
    )


def _drive(base_url: str) -> tuple[dict[str, Call], list[str]]:
    calls: dict[str, Call] = {}
    secrets: list[str] = []
    with httpx.Client(base_url=base_url, timeout=30) as session:
        calls["session_login"] = _call(
            session,
            "session_login",
            "POST",
            "/api/auth/login/",
            json={"username": "alice", "password": "alice-password"},
            headers={"X-Correlation-ID": "it-login-0001"},
        )
        secrets += [c.value for c in session.cookies.jar if c.value]
        # The session cookie goes back to the server: it must not be recorded either.
        calls["session_cart"] = _call(session, "session_cart", "GET", "/api/cart/")
    with httpx.Client(base_url=base_url, timeout=30) as anon:
        token = anon.post(
            "/api/auth/token/", json={"username": "alice", "password": "alice-password"}
        ).json()["access"]
        secrets.append(token)
        calls["product_list_baggage"] = _call(
            anon,
            "product_list_baggage",
            "GET",
            "/api/products/",
            headers={"baggage": "e2e.workflow.type=product_fetch,e2e.workflow.id=it-bag-0002"},
        )
        calls["product_detail_rule"] = _call(
            anon,
            "product_detail_rule",
            "GET",
            "/api/products/1/",
            headers={**PLANTED_HEADERS, "X-Request-Source": "contract-test"},
        )
        calls["header_workflow"] = _call(
            anon,
            "header_workflow",
            "GET",
            "/api/products/2/",
            headers={"X-Workflow-Type": "search_results", "X-Correlation-ID": "it-hdr-0003"},
        )
        calls["n_plus_one"] = _call(anon, "n_plus_one", "GET", "/api/products/with-reviews/")
        calls["unauthenticated"] = _call(anon, "unauthenticated", "GET", "/api/orders/")
        calls["not_found"] = _call(anon, "not_found", "GET", "/api/products/987654321/")
        calls["integrity"] = _call(anon, "integrity", "POST", "/api/products/duplicate-sku/")
        calls["boom"] = _call(anon, "boom", "GET", "/api/debug/boom/")
        calls["sql_syntax"] = _call(
            anon, "sql_syntax", "GET", "/api/debug/boom/", params={"sku": PLANTED_SKU}
        )
        expired = jwt.encode(
            {
                "token_type": "access",
                "exp": int(time.time()) - 3600,
                "iat": int(time.time()) - 7200,
                "jti": uuid.uuid4().hex,
                "user_id": "1",
            },
            SECRET,
            algorithm="HS256",
        )
        secrets.append(expired)
        calls["expired_token"] = _call(
            anon,
            "expired_token",
            "GET",
            "/api/cart/",
            headers={"Authorization": f"Bearer {expired}"},
        )
    bearer = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, timeout=30, headers=bearer) as user:
        calls["forbidden"] = _call(user, "forbidden", "GET", "/api/admin/stats/")
        calls["cart_add"] = _call(
            user, "cart_add", "POST", "/api/cart/items/", json={"product_id": 3, "quantity": 2}
        )
        calls["checkout"] = _call(user, "checkout", "POST", "/api/checkout/")
    return calls, secrets


# (how tracing is installed, which MySQL driver Django uses)
MODES = [("instrument", "pymysql"), ("configure", "pymysql"), ("instrument", "mysqlclient")]


@pytest.fixture(scope="module", params=MODES, ids=[f"{m}-{d}" for m, d in MODES])
def run(
    request: pytest.FixtureRequest, shop_db: MariaDB, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Run]:
    mode, driver = request.param
    if driver == "mysqlclient":
        require_mysqlclient()
    traces = tmp_path_factory.mktemp(f"{mode}-{driver}") / "traces.jsonl"
    capture_all = {
        "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST": ".*",
        "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE": ".*",
    }
    server = ShopServer(
        shop_db,
        mode,
        traces,
        extra_env={"SHOP_SECRET_KEY": SECRET, "SHOP_DB_DRIVER": driver, **capture_all},
    )
    server.start()
    try:
        calls, secrets = _drive(server.base_url)
    finally:
        log = server.stop()
    problems: list[object] = []
    spans = list(read_spans([traces], problems.append))
    assert not problems, problems
    yield Run(calls, spans, secrets, log, traces.read_text())


EXPECTED_STATUS = {
    "session_login": 200,
    "session_cart": 200,
    "product_list_baggage": 200,
    "product_detail_rule": 200,
    "header_workflow": 200,
    "n_plus_one": 200,
    "unauthenticated": 401,
    "not_found": 404,
    "integrity": 500,
    "boom": 500,
    "sql_syntax": 500,
    "expired_token": 401,
    "forbidden": 403,
    "cart_add": 201,
    "checkout": 201,
}


def test_requests_reach_the_expected_paths(run: Run) -> None:
    assert {k: c.status for k, c in run.calls.items()} == EXPECTED_STATUS, run.log[-2000:]


def test_one_trace_per_request_with_an_api_entry_span(run: Run) -> None:
    for label in run.calls:
        server = run.server_span(label)
        assert server.attributes["e2e.layer"] == "api", label
        assert server.parent_span_id is None, label


def test_correlation_id_is_echoed_and_matches_the_span(run: Run) -> None:
    for label, call in run.calls.items():
        server = run.server_span(label)
        assert call.correlation_id == server.attributes["e2e.workflow.id"], label
        if call.sent_correlation_id:
            assert call.correlation_id == call.sent_correlation_id, label
    assert run.calls["product_list_baggage"].correlation_id == "it-bag-0002"
    generated = run.calls["product_detail_rule"].correlation_id
    assert generated is not None and uuid.UUID(generated).version == 4


def test_workflow_type_from_header_baggage_and_rules(run: Run) -> None:
    expected = {
        "session_login": "login",
        "product_list_baggage": "product_fetch",
        "product_detail_rule": "product_fetch",
        "header_workflow": "search_results",
        "n_plus_one": "product_reviews",
        "cart_add": "cart_update",
        "checkout": "checkout",
        "forbidden": "admin",
    }
    for label, workflow in expected.items():
        assert run.server_span(label).attributes.get("e2e.workflow.type") == workflow, label


def test_every_span_has_a_layer_and_db_spans_carry_their_request_workflow(run: Run) -> None:
    assert run.spans
    for span in run.spans:
        assert span.attributes.get("e2e.layer") in {"api", "database", "internal", "external"}
    checked = 0
    for label in run.calls:
        server = run.server_span(label)
        for db in run.db_spans(label):
            checked += 1
            assert db.attributes.get("e2e.workflow.id") == server.attributes["e2e.workflow.id"]
            assert db.attributes.get("e2e.workflow.type") == server.attributes.get(
                "e2e.workflow.type"
            )
            assert db.attributes.get("db.system") == "mysql"
    assert checked >= 20
    # One span per query: a driver instrumented twice would nest a database span in another.
    ids = {s.span_id: s for s in run.spans}
    for span in run.spans:
        parent = ids.get(span.parent_span_id or "")
        if span.attributes.get("e2e.layer") == "database" and parent is not None:
            assert parent.attributes.get("e2e.layer") != "database"


def test_db_spans_have_literal_free_fingerprints(run: Run) -> None:
    db_spans = [s for s in run.spans if s.attributes.get("e2e.layer") == "database"]
    assert db_spans
    for span in db_spans:
        fingerprint = span.attributes.get("e2e.db.fingerprint")
        fp_id = span.attributes.get("e2e.db.fingerprint_id")
        assert isinstance(fingerprint, str) and fingerprint, span.name
        assert isinstance(fp_id, str) and re.fullmatch(r"[0-9a-f]{16}", fp_id)
        assert "'" not in fingerprint and '"' not in fingerprint
        assert not re.search(r"(?<![\w`])\d+(?![\w`])", fingerprint), fingerprint
    statements = json.dumps([dict(s.attributes) for s in db_spans])
    for literal in ("alice", "alice-password", "SKU-"):
        assert literal not in statements


def test_n_plus_one_loop_is_visible_as_repeated_fingerprints(run: Run) -> None:
    ids = [s.attributes["e2e.db.fingerprint_id"] for s in run.db_spans("n_plus_one")]
    assert max(ids.count(i) for i in set(ids)) >= 10


def test_error_categories(run: Run) -> None:
    def category(label: str) -> object:
        return run.server_span(label).attributes.get("e2e.error.category")

    assert category("unauthenticated") == "authentication"
    assert category("expired_token") == "auth_token_expired"
    assert category("forbidden") == "permission"
    assert category("not_found") == "not_found"
    assert category("boom") == "server_error"
    assert category("integrity") == "db_integrity"
    failed_db = [s for s in run.db_spans("integrity") if s.status == "error"]
    assert failed_db and all(
        s.attributes["e2e.error.category"] == "db_integrity" for s in failed_db
    )
    for label in ("session_login", "product_detail_rule", "cart_add", "checkout"):
        assert "e2e.error.category" not in run.server_span(label).attributes, label


def test_no_credentials_or_cookies_in_telemetry(run: Run) -> None:
    dumped = json.dumps(
        [[dict(s.attributes), [dict(e.attributes) for e in s.events]] for s in run.spans]
    )
    assert run.secrets
    for secret in run.secrets:
        assert secret not in dumped
    assert "alice-password" not in dumped
    # Query values may be PII: every URL keeps its parameter names only.
    urls = [
        str(s.attributes["http.url"])
        for s in run.spans
        if "?" in str(s.attributes.get("http.url", ""))
    ]
    assert urls, "the readiness probe's ?page=1 request should be traced"
    for url in urls:
        assert all(part.endswith("=REDACTED") for part in url.split("?", 1)[1].split("&")), url


def test_database_error_text_and_secret_headers_never_leave_the_process(run: Run) -> None:
    """Headers captured with ``.*`` and the values MariaDB quotes in its 1062 and 1064 errors
    (status descriptions, exception messages and stacktraces, DB and server spans alike)."""
    planted = [*PLANTED_HEADERS.values(), PLANTED_SKU, DUPLICATED_SKU]
    assert [value for value in planted if value in run.raw] == []
    # The evidence is still there, masked: the errors stay diagnosable.
    assert "Duplicate entry '?' for key" in run.raw
    assert "near '?' at line 1" in run.raw
    failed_select = [s for s in run.db_spans("sql_syntax") if s.status == "error"]
    assert failed_select and failed_select[0].attributes["e2e.error.category"] == "db_query"
    # Capture was on: an ordinary header is recorded, so the absence above is redaction.
    server = run.server_span("product_detail_rule")
    assert server.attributes.get("http.request.header.x_request_source") == ("contract-test",)
