"""The backends' JSON client against a loopback HTTP server that answers from a script: retries
on 5xx/429/timeouts/refused connections with capped backoff and Retry-After, none on other
4xx, one-line errors, the token header. Backoff sleeps are recorded, never slept."""

from __future__ import annotations

import base64
import gzip
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from e2e_otel.config import Backend, Config, ConfigError, parse_config
from e2e_otel.sources.http import BackendError, JsonClient
from e2e_otel.sources.prometheus import PrometheusClient
from tests.integration.services import free_port


@dataclass
class Answer:
    status: int = 200
    body: object = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    stall: bool = False  # hold the response until the test ends (the client times out)
    raw: bytes | None = None  # sent as is instead of the JSON body
    endless: bool = False  # a JSON string without end, no Content-Length, until the client hangs up


class Script:
    """A loopback server answering each request with the next scripted answer (the last one
    repeats), recording what it was asked."""

    def __init__(self, answers: list[Answer]) -> None:
        self.answers = answers
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.sent = 0  # bytes of the endless answers written
        self.release = threading.Event()
        script = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                script.seen.append((self.path, dict(self.headers)))
                answer = script.answers[min(len(script.seen), len(script.answers)) - 1]
                if answer.stall:
                    script.release.wait()
                    return
                if answer.endless:
                    self._endless()
                    return
                payload = answer.raw or json.dumps(answer.body).encode()
                self.send_response(answer.status)
                for name, value in {"Content-Type": "application/json", **answer.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _endless(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()  # no length: the body runs until the connection closes
                chunk = b"x" * 65536
                self.wfile.write(b'{"data": "')
                try:
                    while script.sent < 1 << 30:
                        self.wfile.write(chunk)
                        script.sent += len(chunk)
                except OSError:  # the client hung up: what the test wants
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A client that gives up mid-download breaks the pipe: expected, not worth a traceback.
        self.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Script:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


def client(url: str, sleeps: list[float], **kw: object) -> JsonClient:
    return JsonClient("prometheus", url, sleep=sleeps.append, **kw)  # type: ignore[arg-type]


@pytest.fixture
def script(request: pytest.FixtureRequest) -> Iterator[Script]:
    with Script(request.param) as running:
        yield running


@pytest.mark.parametrize("script", [[Answer(503), Answer(503), Answer(200)]], indirect=True)
def test_retries_5xx_then_succeeds_with_exponential_backoff(
    script: Script, sleeps: list[float]
) -> None:
    with client(script.url, sleeps, retries=2, backoff=0.5) as c:
        assert c.get("/api/v1/query", {"query": "up"}) == {"ok": True}
        assert c.requests == 3
    assert sleeps == [0.5, 1.0]
    assert all(path == "/api/v1/query?query=up" for path, _ in script.seen)


@pytest.mark.parametrize("script", [[Answer(503)]], indirect=True)
def test_gives_up_after_the_retries_with_one_line(script: Script, sleeps: list[float]) -> None:
    with client(script.url, sleeps, retries=2) as c, pytest.raises(BackendError) as info:
        c.get("/api/v1/query", {"query": 'sum(rate(x{a="b"}[5m]))'})
    assert str(info.value) == f"prometheus {script.url}/api/v1/query: HTTP 503 after 3 attempts"
    assert info.value.status == 503 and len(script.seen) == 3 and len(sleeps) == 2


@pytest.mark.parametrize("script", [[Answer(503)] * 5 + [Answer(200)]], indirect=True)
def test_backoff_is_capped(script: Script, sleeps: list[float]) -> None:
    with client(script.url, sleeps, retries=5, backoff=1.0, max_backoff=3.0) as c:
        c.get("/x")
    assert sleeps == [1.0, 2.0, 3.0, 3.0, 3.0]


@pytest.mark.parametrize(
    "script",
    [[Answer(429, headers={"Retry-After": "2"}), Answer(429, headers={"Retry-After": "120"})]],
    indirect=True,
)
def test_retry_after_is_honoured_within_the_cap(script: Script, sleeps: list[float]) -> None:
    with client(script.url, sleeps, retries=2, max_backoff=8.0) as c, pytest.raises(BackendError):
        c.get("/x")
    assert sleeps == [2.0, 8.0]


@pytest.mark.parametrize(
    "script",
    [[Answer(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:05 GMT"}), Answer(200)]],
    indirect=True,
)
def test_retry_after_as_an_http_date(script: Script, sleeps: list[float]) -> None:
    at = 1445412460.0  # 25 s before the date above
    with client(script.url, sleeps, retries=1, clock=lambda: at, max_backoff=60) as c:
        c.get("/x")
    assert sleeps == [25.0]


@pytest.mark.parametrize(
    "script",
    [[Answer(400, {"status": "error", "error": "parse error:\nunexpected }"})]],
    indirect=True,
)
def test_client_errors_are_not_retried_and_say_why(script: Script, sleeps: list[float]) -> None:
    with client(script.url, sleeps) as c, pytest.raises(BackendError) as info:
        c.get("/api/v1/query")
    assert len(script.seen) == 1 and not sleeps
    assert info.value.status == 400
    assert str(info.value).endswith("HTTP 400: parse error: unexpected }")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("script", [[Answer(stall=True), Answer(200)]], indirect=True)
def test_a_stalled_request_times_out_and_is_retried(script: Script, sleeps: list[float]) -> None:
    with client(script.url, sleeps, timeout=0.2, retries=1) as c:
        assert c.get("/x") == {"ok": True}
    assert len(script.seen) == 2 and len(sleeps) == 1


@pytest.mark.parametrize("script", [[Answer(stall=True)]], indirect=True)
def test_timeouts_end_in_one_line(script: Script, sleeps: list[float]) -> None:
    with client(script.url, sleeps, timeout=0.2, retries=1) as c, pytest.raises(BackendError) as e:
        c.get("/x")
    assert str(e.value) == f"prometheus {script.url}/x: timed out after 2 attempts"


def test_connection_refused_is_retried_then_reported(sleeps: list[float]) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with client(url, sleeps, retries=2) as c, pytest.raises(BackendError) as info:
        c.get("/api/search")
    assert len(sleeps) == 2
    message = str(info.value)
    assert message.startswith(f"prometheus {url}/api/search: cannot connect")
    assert message.endswith("after 3 attempts") and "\n" not in message


@pytest.mark.parametrize("script", [[Answer(200)]], indirect=True)
def test_token_from_the_named_variable(script: Script, sleeps: list[float]) -> None:
    backend = Backend(script.url, token_env="MY_TEMPO_TOKEN", retries=0)
    environ = {"MY_TEMPO_TOKEN": "s3cret"}
    with JsonClient.for_backend("tempo", backend, environ=environ, sleep=sleeps.append) as c:
        c.get("/api/echo")
    assert script.seen[0][1]["Authorization"] == "Bearer s3cret"


@pytest.mark.parametrize("script", [[Answer(200)]], indirect=True)
def test_the_tenant_of_a_multi_tenant_backend_is_sent_as_x_scope_orgid(
    script: Script, sleeps: list[float]
) -> None:
    # Mimir and Tempo in multi-tenant mode answer 401 "no org id" without it.
    config = parse_config({"backends": {"prometheus": {"url": script.url, "tenant": "team-a"}}})
    prometheus = config.backends.prometheus
    with JsonClient.for_backend("prometheus", prometheus, sleep=sleeps.append) as c:
        c.get("/api/echo")
    assert script.seen[0][1]["X-Scope-OrgID"] == "team-a"
    with pytest.raises(ConfigError, match=r"backends\.tempo\.tenant"):
        parse_config({"backends": {"tempo": {"tenant": "a b"}}})


def test_a_missing_token_variable_is_an_error_without_the_token() -> None:
    backend = Backend("http://tempo:3200", token_env="MY_TEMPO_TOKEN")
    with pytest.raises(BackendError) as info:
        JsonClient.for_backend("tempo", backend, environ={})
    assert str(info.value) == (
        "tempo http://tempo:3200: environment variable MY_TEMPO_TOKEN (token_env) is not set"
    )


@pytest.mark.parametrize("script", [[Answer(200, raw=b"<html>proxy error</html>")]], indirect=True)
def test_a_body_that_is_not_json_is_a_backend_error(script: Script, sleeps: list[float]) -> None:
    with client(script.url, sleeps) as c, pytest.raises(BackendError) as info:
        c.get("/x")
    assert "invalid JSON" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "script",
    [[Answer(403, body={"error": "x" * 185 + " token s3cret-token-1 and pa55word refused"})]],
    indirect=True,
)
@pytest.mark.parametrize("secret", ["token", "password"])
def test_credentials_are_sent_but_never_shown(
    script: Script, sleeps: list[float], secret: str
) -> None:
    if secret == "token":
        c = client(script.url, sleeps, token="s3cret-token-1")
        shown = script.url
    else:
        c = client(script.url.replace("http://", "http://grafana:pa55word@"), sleeps)
        shown = script.url.replace("http://", "http://***@")
    with c, pytest.raises(BackendError) as info:
        c.get("/api/v1/query")
    message = str(info.value)
    # The server echoed the secret past the 200 characters kept: blanked before the cut.
    assert "s3cret" not in message and "pa55" not in message
    assert message.startswith(f"prometheus {shown}/api/v1/query: HTTP 403: xxx")
    assert message.endswith("...") and "\n" not in message
    header = script.seen[0][1]["Authorization"]
    assert header == "Bearer s3cret-token-1" if secret == "token" else header.startswith("Basic ")


def test_a_token_and_a_password_in_the_url_are_refused_together() -> None:
    with pytest.raises(BackendError) as info:
        JsonClient("tempo", "http://u:pa55word@tempo:3200", token="t0ken-value")
    assert str(info.value) == (
        "tempo http://***@tempo:3200: give a token (token_env) or a user:password in the URL, "
        "not both"
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("localhost:9090", "needs http:// or https:// and a host"),
        ("http://", "needs http:// or https:// and a host"),
        ("http://prom:99999", "invalid URL"),
        ("http://u:secret@[::1", "invalid URL"),
        ("http://admin:secret/x@prom:9090", "must be percent-encoded"),
        ("http://admin:se?cret@prom:9090", "must be percent-encoded"),
        ("http://admin:1234#secret@prom:9090", "must be percent-encoded"),
    ],
)
def test_a_bad_url_is_one_line_without_secrets(url: str, reason: str) -> None:
    with pytest.raises(BackendError) as info:
        JsonClient("prometheus", url)
    message = str(info.value)
    assert message.startswith("prometheus ") and reason in message
    assert "secret" not in message and "\n" not in message


@pytest.mark.parametrize("script", [[Answer(503)]], indirect=True)
def test_the_run_time_limit_stops_retries_and_caps_the_backoff(script: Script) -> None:
    now = [100.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    c = JsonClient(
        "tempo", script.url, retries=5, backoff=2.0, sleep=sleep, monotonic=lambda: now[0]
    )
    c.limit_time(5.0)
    with c, pytest.raises(BackendError) as info:
        c.get("/api/search")
    # Backoff 2 s, then 4 s asked but only 3 s left; then the limit stops a third request.
    assert str(info.value) == (
        f"tempo {script.url}/api/search: gave up: the run's time limit of 5s ran out"
    )
    assert len(script.seen) == 2 and sleeps == [2.0, 3.0]


@pytest.mark.parametrize(
    "script", [[Answer(200, raw=b'{"data": "' + b"x" * 4_000_000 + b'"}')]], indirect=True
)
def test_the_run_time_limit_also_ends_a_slow_download(script: Script) -> None:
    ticks = iter(range(1000))  # each look at the clock is one second later
    c = JsonClient("prometheus", script.url, retries=0, monotonic=lambda: float(next(ticks)))
    c.limit_time(3.0)
    with c, pytest.raises(BackendError, match="time limit of 3s ran out"):
        c.get("/api/v1/query_range")
    assert len(script.seen) == 1


@pytest.mark.parametrize("script", [[Answer(endless=True)]], indirect=True)
def test_an_answer_over_the_cap_is_refused_while_it_streams(script: Script) -> None:
    c = JsonClient("prometheus", script.url, retries=2, max_response_bytes=1 << 20)
    with c, pytest.raises(BackendError) as info:
        c.get("/api/v1/query")
    assert str(info.value) == (
        f"prometheus {script.url}/api/v1/query: answer larger than 1 MiB "
        "(backends.max_response_bytes)"
    )
    assert len(script.seen) == 1  # not retried: the same question gets the same answer
    # Reading stopped at the cap: what the server got out is what the sockets buffered.
    assert script.sent < 64 << 20


def test_a_content_length_over_the_cap_is_refused_before_reading() -> None:
    read: list[bytes] = []

    class Body(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            read.append(b"{}")
            yield b"{}"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": str(1 << 40)}, stream=Body())

    transport = httpx.MockTransport(handler)
    c = JsonClient("tempo", "http://tempo:3200", transport=transport)
    with c, pytest.raises(BackendError, match=r"answer larger than 64 MiB \(backends\."):
        c.get("/api/search")
    assert read == []


def test_the_cap_counts_decompressed_bytes() -> None:
    bomb = gzip.compress(b"[" + b"0," * (4 << 20) + b"0]")  # 8 MiB of JSON in ~10 KiB
    assert len(bomb) < 100_000

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=bomb)

    transport = httpx.MockTransport(handler)
    c = JsonClient("tempo", "http://t:3200", transport=transport, max_response_bytes=1 << 20)
    with c, pytest.raises(BackendError, match="answer larger than 1 MiB"):
        c.get("/api/search")


def test_the_cap_comes_from_the_configuration() -> None:
    config = parse_config({"backends": {"max_response_bytes": 2048}})
    assert config.backends.max_response_bytes == 2048
    answer = httpx.Response(200, json={"x": "y" * 4096})
    client = PrometheusClient.from_config(
        config, transport=httpx.MockTransport(lambda request: answer)
    )
    with pytest.raises(BackendError, match=r"answer larger than 2048 bytes"):
        client.http.get("/api/v1/query")
    assert PrometheusClient.from_config(Config()).http.max_response_bytes == 64 << 20


@pytest.mark.parametrize("value", [True, "64MiB", 100, 2**33, 1.5e6, None])
def test_a_bad_cap_in_the_configuration_names_the_key(value: object) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"backends": {"max_response_bytes": value}})
    assert info.value.key == "backends.max_response_bytes"
    assert "expected a number of bytes from 1024" in info.value.reason


def test_a_password_goes_to_basic_auth_never_into_the_requested_url() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    transport = httpx.MockTransport(handler)
    url = "http://ad%40min:p%2Fss%3Aw0rd@prom:9090/prefix"
    with JsonClient("prometheus", url, transport=transport) as c:
        assert c.get("/api/v1/query", {"query": "up"}) == {}
        assert c.display_url == "http://***@prom:9090/prefix"
    (request,) = seen
    assert str(request.url) == "http://prom:9090/prefix/api/v1/query?query=up"
    assert request.url.userinfo == b""
    expected = base64.b64encode(b"ad@min:p/ss:w0rd").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
