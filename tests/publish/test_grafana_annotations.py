"""Regression findings as Grafana annotations, against a loopback stand-in for Grafana.

Grafana is AGPL and is not run here. The stand-in implements the endpoints of Grafana's
Annotations HTTP API as documented at
https://grafana.com/docs/grafana/latest/developers/http_api/annotations/ :
``GET /api/annotations`` (``tags`` repeated = AND, ``type``, ``limit``; newest first; a JSON
list of annotation objects with ``id``, ``time``, ``timeEnd``, ``text``, ``tags``, ...),
``POST /api/annotations`` (-> ``{"message": "Annotation added", "id": N}``) and
``PUT`` / ``PATCH /api/annotations/:id`` (-> ``{"message": "Annotation updated"}`` /
``"Annotation patched"``), answering 401 without the right ``Authorization`` header.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from e2e_otel.analyzers.models import Report
from e2e_otel.config import Backend, Backends, Config
from e2e_otel.publish.grafana import (
    AnnotationCounts,
    AnnotationPublisher,
    GrafanaError,
    GrafanaNotConfigured,
    finding_tag,
)
from tests.jsonhttp import JsonHandler
from tests.publish.test_prometheus_exposition import (
    ERRORS,
    LATENCY,
    SLOW,
    WORKFLOW,
    findings_report,
    regression,
)

TOKEN = "glsa_s3cr3t-token-value"


@dataclass
class FakeGrafana:
    """The annotation store and the requests it received."""

    annotations: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, auth
    fail_with: int | None = None  # answer every request with this status, echoing the auth
    url: str = ""

    def find(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        tags = set(query.get("tags", []))
        found = [
            a
            for a in self.annotations.values()
            if tags <= set(a["tags"]) and query.get("type", ["annotation"]) == ["annotation"]
        ]
        found.sort(key=lambda a: (a["time"], a["id"]), reverse=True)
        return found[: int(query.get("limit", ["100"])[0])]

    def store(self, annotation_id: int, body: dict[str, Any], partial: bool) -> None:
        current = self.annotations[annotation_id]
        fields: dict[str, Any] = {
            k: body[k] for k in ("time", "timeEnd", "text", "tags") if k in body
        }
        if partial:
            fields = {k: v for k, v in fields.items() if v is not None}
        current.update(fields, updated=current["updated"] + 1)


def _handler(grafana: FakeGrafana) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            body: dict[str, Any] = json.loads(self.rfile.read(length) or b"{}")
            return body

        def _handle(self, method: str) -> None:
            auth = self.headers.get("Authorization")
            url = urlsplit(self.path)
            grafana.requests.append((method, url.path, auth))
            if grafana.fail_with is not None:
                return self._reply(grafana.fail_with, {"message": f"rejected {auth}"})
            if auth != f"Bearer {TOKEN}":
                return self._reply(401, {"message": "Unauthorized"})
            if url.path == "/api/annotations" and method == "GET":
                return self._reply(200, grafana.find(parse_qs(url.query)))
            if url.path == "/api/annotations" and method == "POST":
                body = self._body()
                annotation_id = len(grafana.annotations) + 1
                grafana.annotations[annotation_id] = {
                    "id": annotation_id,
                    "alertId": 0,
                    "dashboardId": body.get("dashboardId") or 0,
                    "panelId": body.get("panelId") or 0,
                    "userId": 1,
                    "newState": "",
                    "prevState": "",
                    "time": body["time"],
                    "timeEnd": body.get("timeEnd") or body["time"],
                    "text": body["text"],
                    "tags": body.get("tags") or [],
                    "data": {},
                    "updated": 0,  # how often PUT/PATCH changed it (not a Grafana field)
                }
                return self._reply(200, {"message": "Annotation added", "id": annotation_id})
            prefix, _, last = url.path.rpartition("/")
            if prefix == "/api/annotations" and method in ("PUT", "PATCH"):
                if int(last) not in grafana.annotations:
                    return self._reply(404, {"message": "Annotation not found"})
                grafana.store(int(last), self._body(), partial=method == "PATCH")
                verb = "updated" if method == "PUT" else "patched"
                return self._reply(200, {"message": f"Annotation {verb}"})
            return self._reply(404, {"message": "Not found"})

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

    return Handler


@pytest.fixture
def grafana() -> Iterator[FakeGrafana]:
    fake = FakeGrafana()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


REGRESSIONS = (LATENCY, ERRORS, WORKFLOW)


def test_first_publish_creates_one_annotation_per_regression(grafana: FakeGrafana) -> None:
    counts = AnnotationPublisher(grafana.url, TOKEN).publish(findings_report())
    assert counts == AnnotationCounts(created=3)
    by_tag = {tag: a for a in grafana.annotations.values() for tag in a["tags"]}
    for rec in REGRESSIONS:
        annotation = by_tag[finding_tag(rec.id)]
        assert set(annotation["tags"]) == {"e2e-otel", "regression", finding_tag(rec.id)}
        assert annotation["time"] == round(rec.evidence.figures["changed_at_unix_s"] * 1000)
        assert annotation["text"].startswith(rec.title)
    assert finding_tag(SLOW.id) not in by_tag  # not a regression
    assert "p95 120 ms -> 300 ms (x2.50)" in by_tag[finding_tag(LATENCY.id)]["text"]
    assert "failures 2.0% -> 8.0% (x4.00)" in by_tag[finding_tag(ERRORS.id)]["text"]


def test_publishing_again_creates_nothing(grafana: FakeGrafana) -> None:
    publisher = AnnotationPublisher(grafana.url, TOKEN)
    publisher.publish(findings_report())
    counts = publisher.publish(findings_report())
    assert counts == AnnotationCounts(unchanged=3)
    assert len(grafana.annotations) == 3
    assert not any(a["updated"] for a in grafana.annotations.values())


def test_a_changed_finding_updates_its_annotation(grafana: FakeGrafana) -> None:
    publisher = AnnotationPublisher(grafana.url, TOKEN)
    publisher.publish(findings_report())
    worse = regression(
        "latency_regression",
        3.0,
        1_715_000_300.0,
        service="shop-api",
        route="api/orders/",
        method="POST",
    )
    assert worse.id == LATENCY.id  # same subject, same finding
    counts = publisher.publish(findings_report(worse, ERRORS, WORKFLOW))
    assert counts == AnnotationCounts(updated=1, unchanged=2)
    assert len(grafana.annotations) == 3
    (annotation,) = [a for a in grafana.annotations.values() if a["updated"]]
    assert finding_tag(LATENCY.id) in annotation["tags"]
    assert annotation["time"] == 1_715_000_300_000
    assert "(x3.00)" in annotation["text"]


def test_every_request_carries_the_token_as_bearer(grafana: FakeGrafana) -> None:
    AnnotationPublisher(grafana.url, TOKEN).publish(findings_report())
    assert {method for method, _, _ in grafana.requests} == {"GET", "POST"}
    assert {auth for _, _, auth in grafana.requests} == {f"Bearer {TOKEN}"}


def test_the_token_never_reaches_logs_or_errors(
    grafana: FakeGrafana, caplog: pytest.LogCaptureFixture
) -> None:
    grafana.fail_with = 500  # the error body echoes the Authorization header
    caplog.set_level(logging.DEBUG)
    publisher = AnnotationPublisher(grafana.url, TOKEN)
    with pytest.raises(GrafanaError) as caught:
        publisher.publish(findings_report())
    assert grafana.requests, "the request never reached the server"
    message = str(caught.value)
    assert message.startswith(f"Grafana at {grafana.url}: ")
    assert "500" in message and "\n" not in message
    assert TOKEN not in message
    assert TOKEN not in repr(publisher)
    assert TOKEN not in caplog.text


def test_a_wrong_token_is_a_readable_error(grafana: FakeGrafana) -> None:
    with pytest.raises(GrafanaError, match="Unauthorized"):
        AnnotationPublisher(grafana.url, "wrong").publish(findings_report())


def test_grafana_down_is_one_readable_line() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(GrafanaError) as caught:
        AnnotationPublisher(url, TOKEN, timeout_s=2).publish(findings_report())
    assert str(caught.value) == f"Grafana at {url}: cannot connect: Connection refused"


def test_a_silent_grafana_times_out() -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(GrafanaError) as caught:
            AnnotationPublisher(url, TOKEN, timeout_s=0.5).publish(findings_report())
    assert str(caught.value) == f"Grafana at {url}: no answer within 0.5 s (timed out)"


def test_a_report_without_regressions_touches_nothing(grafana: FakeGrafana) -> None:
    counts = AnnotationPublisher(grafana.url, TOKEN).publish(findings_report(SLOW))
    assert counts == AnnotationCounts()
    assert grafana.requests == []


def _config(url: str = "http://grafana:3000", token_env: str | None = "E2E_TEST_GRAFANA") -> Config:
    return replace(Config(), backends=Backends(grafana=Backend(url, token_env=token_env)))


@pytest.mark.parametrize(
    ("config", "environ", "reason"),
    [
        (_config(), {}, "$E2E_TEST_GRAFANA is unset or empty (backends.grafana.token_env)"),
        (_config(), {"E2E_TEST_GRAFANA": "  "}, "$E2E_TEST_GRAFANA is unset or empty"),
        (_config(token_env=None), {}, "backends.grafana.token_env names no variable"),
        (_config(url=""), {"E2E_TEST_GRAFANA": TOKEN}, "backends.grafana.url is empty"),
    ],
)
def test_missing_settings_are_a_warning_not_a_crash(
    config: Config, environ: dict[str, str], reason: str
) -> None:
    result = AnnotationPublisher.from_config(config, environ)
    assert isinstance(result, GrafanaNotConfigured)
    assert reason in str(result)
    assert str(result).startswith("Grafana annotations skipped: ")


def test_configured_publisher_uses_the_token_from_the_environment(grafana: FakeGrafana) -> None:
    config = _config(url=grafana.url)
    publisher = AnnotationPublisher.from_config(config, {"E2E_TEST_GRAFANA": TOKEN})
    assert isinstance(publisher, AnnotationPublisher)
    assert publisher.publish(findings_report()) == AnnotationCounts(created=3)
    assert {auth for _, _, auth in grafana.requests} == {f"Bearer {TOKEN}"}


def test_a_service_notes_missing_grafana_settings_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from e2e_otel.cli.analyze import _annotate
    from e2e_otel.cli.plan import Plan

    monkeypatch.delenv("E2E_TEST_GRAFANA", raising=False)

    def backends() -> Report:
        return findings_report(source="prometheus: http://prometheus:9090")

    plan = Plan(_config(), "prometheus", backends)
    told: set[str] = set()
    for _ in range(3):  # three runs of a service
        _annotate(plan, backends(), quiet=False, told=told)
    assert capsys.readouterr().err.count("Grafana annotations skipped") == 1
    _annotate(plan, backends(), quiet=False)  # one-shot runs always say it
    assert capsys.readouterr().err.count("Grafana annotations skipped") == 1


def test_file_input_says_nothing_about_grafana(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from e2e_otel.cli.analyze import _annotate
    from e2e_otel.cli.plan import Plan

    monkeypatch.delenv("E2E_TEST_GRAFANA", raising=False)

    def files() -> Report:
        return findings_report(source="otlp-files: out/traces.jsonl")

    _annotate(Plan(_config(), "out/traces.jsonl", files), files(), quiet=False)
    assert "Grafana" not in capsys.readouterr().err
