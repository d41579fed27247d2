"""An OTLP/HTTP trace receiver for tests: spans that other processes export — a browser page,
a Next.js server, a subprocess — land in the test process and join ``e2e_trace``'s.

``POST /v1/traces`` takes OTLP JSON (``application/json``, as browsers send it) or protobuf
(``application/x-protobuf``, as the OTel SDKs' HTTP exporters send it), gzip or not, and answers
200 with an empty ``ExportTraceServiceResponse`` in the same encoding. It speaks CORS (preflight,
``Access-Control-Allow-Origin`` echoing the page's origin), so a page on any origin may export to
it. A body that cannot be decoded is answered 400; it and every span skipped as malformed are
kept as :attr:`OtlpReceiver.problems`, shown in the assertion messages. Nothing a client sends
stops the receiver."""

from __future__ import annotations

import base64
import json
import threading
import zlib
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from e2e_otel.sources.models import InputProblem, SpanRecord
from e2e_otel.sources.otlp_files import spans_of_document

TRACES_PATH = "/v1/traces"
JSON = "application/json"
PROTOBUF = "application/x-protobuf"
MAX_BODY = 64 * 1024 * 1024
_ID_FIELDS = ("traceId", "spanId", "parentSpanId")


class BadPayload(ValueError):
    """The body is not an OTLP trace request (the message says why)."""


class OtlpReceiver:
    """OTLP/HTTP on ``127.0.0.1`` (a free port unless ``port`` is given), served by daemon
    threads until :meth:`close`. ``url`` is the endpoint base (``OTEL_EXPORTER_OTLP_ENDPOINT``);
    exporters post to ``url + "/v1/traces"``. Safe to use from any thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._spans: list[SpanRecord] = []
        self._problems: list[str] = []
        self._requests = 0
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="e2e-otel-otlp-receiver", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the OTLP endpoint base, without ``/v1/traces``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def traces_url(self) -> str:
        return self.url + TRACES_PATH

    @property
    def problems(self) -> tuple[str, ...]:
        """What could not be read since the last :meth:`clear`: bodies and spans skipped."""
        with self._lock:
            return tuple(self._problems)

    def records(self) -> tuple[SpanRecord, ...]:
        """The spans received since the last :meth:`clear`, in start order."""
        with self._lock:
            spans = list(self._spans)
        return tuple(sorted(spans, key=lambda s: (s.start_ns, s.span_id)))

    def clear(self) -> None:
        with self._lock:
            self._spans.clear()
            self._problems.clear()

    def close(self) -> None:
        """Stop serving and free the port (idempotent)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> OtlpReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def receive(self, body: bytes, content_type: str, source: str) -> int:
        """Decode one request body and keep its spans; returns how many spans were skipped.
        Raises :class:`BadPayload` (recorded as a problem) when the body is not a request."""
        with self._lock:
            self._requests += 1
            number = self._requests
        try:
            document = _document(body, content_type)
        except BadPayload as exc:
            self.problem(f"{source} (request {number}): {exc}")
            raise
        problems: list[InputProblem] = []
        spans = list(spans_of_document(document, source, number, problems.append))
        with self._lock:
            self._spans.extend(spans)
            self._problems.extend(f"{source} (request {p.line}): {p.reason}" for p in problems)
        return len(problems)

    def problem(self, text: str) -> None:
        with self._lock:
            self._problems.append(text)


def _document(body: bytes, content_type: str) -> dict[str, Any]:
    media = content_type.split(";", 1)[0].strip().lower()
    if media == JSON:
        try:
            document = json.loads(body)
        # ValueError: not UTF-8, not JSON, or an integer of more digits than Python converts.
        except (ValueError, RecursionError) as exc:
            raise BadPayload(f"body is not JSON: {exc}") from None
        if not isinstance(document, dict) or not isinstance(document.get("resourceSpans"), list):
            raise BadPayload("not an OTLP trace request (no resourceSpans list)")
        return document
    if media == PROTOBUF:
        return protobuf_document(body)
    raise BadPayload(f"unsupported Content-Type {content_type!r}: send {JSON} or {PROTOBUF}")


def protobuf_document(body: bytes) -> dict[str, Any]:
    """A protobuf ``ExportTraceServiceRequest`` as the OTLP JSON document it stands for (ids as
    hex, enums as numbers), for :func:`~e2e_otel.sources.otlp_files.spans_of_document`."""
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except (DecodeError, RecursionError) as exc:
        raise BadPayload(f"body is not a protobuf ExportTraceServiceRequest: {exc}") from None
    document: dict[str, Any] = MessageToDict(request, use_integers_for_enums=True)
    document.setdefault("resourceSpans", [])
    for resource in document["resourceSpans"]:
        for scope in resource.get("scopeSpans", []):
            for span in scope.get("spans", []):
                _hex_ids(span)
                for link in span.get("links", []):
                    _hex_ids(link)
    return document


def _hex_ids(entry: dict[str, Any]) -> None:
    # The proto3 JSON mapping writes bytes as base64; OTLP JSON writes ids as hex.
    for key in _ID_FIELDS:
        if key in entry:
            entry[key] = base64.b64decode(entry[key]).hex()


def _answer(content_type: str, rejected: int, message: str) -> tuple[str, bytes]:
    partial = (
        ExportTracePartialSuccess(rejected_spans=rejected, error_message=message)
        if rejected
        else None
    )
    response = ExportTraceServiceResponse(partial_success=partial)
    if content_type.split(";", 1)[0].strip().lower() == PROTOBUF:
        return PROTOBUF, response.SerializeToString()
    return JSON, json.dumps(MessageToDict(response)).encode()


def _handler(receiver: OtlpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: exporters reuse their connection
        server_version = "e2e-otel-otlp-receiver"

        def do_OPTIONS(self) -> None:  # the CORS preflight
            asked = self.headers.get("Access-Control-Request-Headers") or "content-type"
            self._send(
                204,
                b"",
                None,
                [
                    ("Access-Control-Allow-Methods", "POST, OPTIONS"),
                    ("Access-Control-Allow-Headers", asked),
                    ("Access-Control-Max-Age", "600"),
                ],
            )

        def do_POST(self) -> None:
            source = f"POST {self.path} from {self.headers.get('Origin') or self.client_address[0]}"
            if self.path.split("?", 1)[0] != TRACES_PATH:
                self.close_connection = True  # its body is left unread
                self._refuse(404, source, f"only {TRACES_PATH} is served")
                return
            try:
                body = self._body()
            except BadPayload as exc:
                self._refuse(400, source, str(exc))
                return
            content_type = self.headers.get("Content-Type") or ""
            try:
                rejected = receiver.receive(body, content_type, source)
            except BadPayload as exc:
                self._send(400, str(exc).encode(), "text/plain; charset=utf-8")
                return
            except Exception as exc:  # a bug here must not hang the exporter nor the test
                self._refuse(500, source, f"receiver error: {exc!r}")
                return
            media, answer = _answer(content_type, rejected, "malformed spans skipped")
            self._send(200, answer, media)

        def _body(self) -> bytes:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                body = self._chunks()
            else:
                try:
                    length = int(self.headers.get("Content-Length") or "0")
                except ValueError:
                    self.close_connection = True
                    raise BadPayload("bad Content-Length") from None
                if not 0 <= length <= MAX_BODY:
                    self.close_connection = True
                    raise BadPayload(f"body of {length} bytes refused (limit {MAX_BODY})")
                body = self.rfile.read(length)
            if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
                body = _gunzip(body)
            return body

        def _chunks(self) -> bytes:
            parts: list[bytes] = []
            total = 0
            while True:
                size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
                try:
                    size = int(size_line, 16)
                except ValueError:
                    self.close_connection = True
                    raise BadPayload("bad chunked encoding") from None
                total += size
                if total > MAX_BODY:
                    self.close_connection = True
                    raise BadPayload(f"body over {MAX_BODY} bytes refused")
                if size == 0:
                    while self.rfile.readline(1024).strip():  # trailers
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline(1024)

        def _refuse(self, status: int, source: str, reason: str) -> None:
            receiver.problem(f"{source}: {reason}")
            self._send(status, reason.encode(), "text/plain; charset=utf-8")

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str | None,
            extra: Iterable[tuple[str, str]] = (),
        ) -> None:
            self.send_response(status)
            self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin") or "*")
            self.send_header("Vary", "Origin")
            if content_type is not None:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in extra:
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a test's output is no place for an access log

    return Handler


def _gunzip(body: bytes) -> bytes:
    """The decompressed body, at most MAX_BODY bytes of it (a small gzip can expand to
    gigabytes); :class:`BadPayload` for a corrupt or oversized one."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip framing
    try:
        out = inflater.decompress(body, MAX_BODY)
        if inflater.unconsumed_tail:
            raise BadPayload(f"gzip body expands past {MAX_BODY} bytes: refused")
        out += inflater.flush()
    except zlib.error as exc:
        raise BadPayload(f"body is not gzip: {exc}") from None
    if not inflater.eof:
        raise BadPayload("body is not gzip: truncated")
    return out
