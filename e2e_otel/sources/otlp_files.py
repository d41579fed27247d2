"""OTLP JSON files (one ExportTraceServiceRequest per line), as written by the Python
``otlp_json_file`` exporter and the Collector's file exporter. Streamed: one line at a time.

Nothing in a file can stop the read: a line that is not valid OTLP JSON, an entry or a span of
the wrong shape, and a span whose times cannot be real (see :func:`plausible_until`) are each
reported with their location and skipped; the rest of the file is still read (a file whose
first line is ``{`` is read as one pretty-printed request, else as lines). Paths that are
not regular files (a FIFO, a directory) are refused before they are opened, so a FIFO cannot
block the read.
"""

from __future__ import annotations

import gzip
import json
import os
import stat
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final, TextIO

from e2e_otel.sources import tempo_api
from e2e_otel.sources.models import InputProblem, SpanEvent, SpanRecord, span_maker
from e2e_otel.sources.otlp_values import (
    SPAN_KINDS,
    STATUS_CODES,
    MalformedSpan,
    attributes_of,
    brief,
    nanos,
)
from e2e_otel.sources.shapes import Malformed

__all__ = [
    "EARLIEST_NS",
    "FUTURE_SLACK_NS",
    "READ_ERRORS",
    "TRACE_SUFFIXES",
    "MalformedSpan",
    "ProblemHandler",
    "attributes_of",
    "compression",
    "input_files",
    "plausible_until",
    "read_error",
    "read_spans",
    "spans_of_document",
    "spans_of_line",
    "unreadable",
]

_WHOLE_FILE_LIMIT = 256 * 1024 * 1024
TRACE_SUFFIXES: Final = (".json", ".jsonl", ".json.gz", ".jsonl.gz")
"""Names of the files read from a directory given as input."""
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_INT64: Final = 1 << 63

EARLIEST_NS: Final = 946_684_800 * 10**9
"""2000-01-01T00:00:00Z: a span that starts before this has a zero, negative or garbled time."""
FUTURE_SLACK_NS: Final = 86_400 * 10**9
"""How far past the reader's clock a span may end (a day: clock skew between hosts, never
more)."""

# The errors a span of the wrong shape raises while it is decoded: each skips that span only.
_SPAN_ERRORS = (MalformedSpan, KeyError, TypeError, ValueError, OverflowError, RecursionError)

ProblemHandler = Callable[[InputProblem], None]
# Keys a downloaded trace comes wrapped in: Tempo's API v2 ("trace"), Jaeger's API v3 ("result").
_WRAPPERS = ("trace", "result")
# What OTLP called scopeSpans before version 0.15 (2022), still in old archived files.
_OLD_SCOPES = "instrumentationLibrarySpans"
SpanMaker = Callable[..., SpanRecord]


class ImplausibleSpan(ValueError):
    """A well-formed span whose times cannot be real (it would skew every duration)."""


def plausible_until(clock: Callable[[], int] = time.time_ns) -> int:
    """The latest end time (ns) a span read now may have: ``clock()`` plus a day."""
    return clock() + FUTURE_SLACK_NS


def read_spans(
    paths: Iterable[str | os.PathLike[str]],
    on_problem: ProblemHandler | None = None,
    latest_ns: int | None = None,
) -> Iterator[SpanRecord]:
    """Yield every span of every file in ``paths``; problems go to ``on_problem``.

    ``latest_ns``: spans ending after this are skipped (default: :func:`plausible_until`)."""
    report = on_problem or (lambda problem: None)
    latest = plausible_until() if latest_ns is None else latest_ns
    for path in paths:
        yield from _read_file(Path(path), report, latest)


def unreadable(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` cannot be read as an input file, or None when it can. The file type is
    checked before opening: opening a FIFO would wait for a writer, maybe forever."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return f"cannot open: {exc.strerror or exc}"
    if stat.S_ISDIR(mode):
        return "cannot open: a directory, not a file"
    if not stat.S_ISREG(mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "not a regular file"
        return f"cannot open: {kind}; write the traces to a file and give its path"
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        return f"cannot open: {exc.strerror or exc}"
    return None


#: What reading a file (plain or gzip) raises part way: a read error, a gzip stream cut
#: short (EOFError) or corrupt (zlib.error, gzip.BadGzipFile: an OSError).
READ_ERRORS: Final = (OSError, EOFError, zlib.error)


def read_error(exc: BaseException, *, compressed: bool) -> str:
    """The problem's reason when reading stops part way with ``exc`` (see READ_ERRORS)."""
    what = "compressed data unreadable" if compressed else "cannot read"
    return f"{what} from here on: {brief(exc)}"


def compression(path: str | os.PathLike[str]) -> str | None:
    """ "gzip" or "zstd" when the file starts with that format's magic number, else None."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError:
        return None
    if head.startswith(_GZIP_MAGIC):
        return "gzip"
    return "zstd" if head == _ZSTD_MAGIC else None


def _open_text(path: Path, gzipped: bool) -> TextIO:
    if gzipped:
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open("r", encoding="utf-8", errors="replace")


def input_files(names: Iterable[str]) -> list[str]:
    """The files to read for the paths a user gave: a file as it is; for a directory, its
    trace files (names ending in one of :data:`TRACE_SUFFIXES`; sorted by name, which puts the
    file exporter's rotated backups in time order; subdirectories are not walked).

    Raises ValueError "PATH: reason" for a path that cannot be read (:func:`unreadable`) or a
    directory with no trace file: a mistake in the command, said before anything is read."""
    files: list[str] = []
    for name in names:
        if os.path.isdir(name):
            try:
                entries = sorted(os.scandir(name), key=lambda entry: entry.name)
            except OSError as exc:
                raise ValueError(f"{name}: cannot list: {exc.strerror or exc}") from exc
            found = [
                entry.path
                for entry in entries
                if entry.name.endswith(TRACE_SUFFIXES) and entry.is_file()
            ]
            if not found:
                suffixes = ", ".join(TRACE_SUFFIXES)
                raise ValueError(f"{name}: a directory with no trace file ({suffixes})")
            files.extend(found)
            continue
        reason = unreadable(name)
        if reason is not None:
            raise ValueError(f"{name}: {reason}")
        files.append(name)
    return files


def _read_file(path: Path, report: ProblemHandler, latest: int) -> Iterator[SpanRecord]:
    name = str(path)
    reason = unreadable(path)
    kind = compression(path) if reason is None else None
    if kind == "zstd":
        reason = (
            "compressed with zstd, which this reader does not read: decompress it, or have "
            "the collector's file exporter write without `compression`"
        )
    if reason is not None:
        report(InputProblem(name, 0, reason))
        return
    try:
        handle = _open_text(path, kind == "gzip")
    except OSError as exc:  # replaced or removed since the check
        report(InputProblem(name, 0, f"cannot open: {exc.strerror or exc}"))
        return
    number = 0
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                if number == 1 and _maybe_pretty(path, line):
                    document = _whole_document(path, kind == "gzip")
                    if document is not _NOT_ONE_DOCUMENT:
                        yield from spans_of_document(document, name, 1, report, latest)
                        return
                    # Not one document after all: JSON lines whose first line is broken.
                yield from spans_of_line(line, name, number, report, latest)
        except READ_ERRORS as exc:  # a gzip file cut short or corrupt
            report(InputProblem(name, number + 1, read_error(exc, compressed=True)))


def _maybe_pretty(path: Path, first_line: str) -> bool:
    # A pretty-printed single request starts with "{" and spans many lines.
    try:
        return first_line.strip() == "{" and path.stat().st_size <= _WHOLE_FILE_LIMIT
    except OSError:
        return False


_NOT_ONE_DOCUMENT: Final = object()


def _whole_document(path: Path, gzipped: bool) -> Any:
    """The file decoded as one JSON document, else _NOT_ONE_DOCUMENT."""
    try:
        with _open_text(path, gzipped) as handle:
            return loads(handle.read())
    except (ValueError, RecursionError, *READ_ERRORS):  # ValueError: JSONDecodeError too
        return _NOT_ONE_DOCUMENT


class HugeInteger:
    """An integer literal longer than the interpreter converts (``sys.get_int_max_str_digits``,
    4300 by default): not a number any field takes, so a span field holding one is malformed,
    and one in a field no reader reads is ignored, as any other value there."""

    __slots__ = ("digits",)

    def __init__(self, literal: str) -> None:
        self.digits = len(literal.lstrip("-"))

    def __repr__(self) -> str:
        return f"<integer of {self.digits} digits>"


def _integer(literal: str) -> int | HugeInteger:
    try:
        return int(literal)
    except ValueError:  # over the digit limit: json.loads would fail the whole document
        return HugeInteger(literal)


def loads(text: str) -> Any:
    """``json.loads``, but an integer over the interpreter's digit limit is a
    :class:`HugeInteger` instead of failing the whole document with a ValueError (the usual
    document is decoded by the C decoder alone: the fallback only runs after that error)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError:  # "Exceeds the limit (4300 digits) for integer string conversion"
        return json.loads(text, parse_int=_integer)


def spans_of_line(
    line: str, path: str, number: int, report: ProblemHandler, latest_ns: int
) -> Iterator[SpanRecord]:
    """The spans of one line of an OTLP JSON lines file (one request)."""
    try:
        document = loads(line)
    except json.JSONDecodeError as exc:
        report(InputProblem(path, number, f"invalid JSON: {exc.msg} (column {exc.colno})"))
        return
    except RecursionError:  # the C decoder recurses once per nesting level
        report(InputProblem(path, number, "invalid JSON: nested too deeply"))
        return
    yield from spans_of_document(document, path, number, report, latest_ns)


def spans_of_document(
    document: Any,
    path: str,
    line: int,
    report: ProblemHandler,
    latest_ns: int | None = None,
) -> Iterator[SpanRecord]:
    """The spans of one decoded OTLP trace request (``path``/``line`` locate problems).

    An entry or span of the wrong shape, or with implausible times (before 2000, ending
    before it starts or after ``latest_ns``, default :func:`plausible_until`), is reported
    and skipped."""
    request = _as_request(document)
    if isinstance(request, str):
        report(InputProblem(path, line, request))
        return
    latest = plausible_until() if latest_ns is None else latest_ns
    for resource_spans in request["resourceSpans"]:
        try:
            service_name, scopes, make = _resource(resource_spans)
        except _SPAN_ERRORS as exc:
            report(InputProblem(path, line, f"malformed resourceSpans entry skipped: {brief(exc)}"))
            continue
        for scope_spans in scopes:
            try:
                scope, spans = _scope(scope_spans)
            except MalformedSpan as exc:
                report(InputProblem(path, line, f"malformed scopeSpans entry skipped: {exc}"))
                continue
            for raw in spans:
                try:
                    span = _span(raw, service_name, scope, latest, make)
                except ImplausibleSpan as exc:
                    report(InputProblem(path, line, f"span skipped: {exc}"))
                except _SPAN_ERRORS as exc:
                    report(InputProblem(path, line, f"malformed span skipped: {brief(exc)}"))
                else:
                    yield span


def _as_request(document: Any) -> dict[str, Any] | str:
    """``document`` as an OTLP trace request, or why it is not one.

    Besides a request (``resourceSpans``, what the collector's file exporter writes), a trace
    as Tempo's API and Grafana's trace download give it (``batches``, or ``resourceSpans``
    inside ``trace``) and as Jaeger's API v3 gives it (inside ``result``): read as Tempo's
    traces are (:func:`.tempo_api.normalize_trace`: base64 ids, the older
    ``instrumentationLibrarySpans``)."""
    if not isinstance(document, dict):
        return "not an OTLP trace request (no resourceSpans list)"
    entries = document.get("resourceSpans")
    if isinstance(entries, list) and not any(
        type(e) is dict and e.get(_OLD_SCOPES) is not None for e in entries
    ):
        return document
    inner = next((document[k] for k in _WRAPPERS if isinstance(document.get(k), dict)), document)
    if isinstance(inner.get("resourceSpans"), list) or isinstance(inner.get("batches"), list):
        try:
            return tempo_api.normalize_trace(inner)
        except Malformed as exc:
            return f"unreadable trace: {exc}"
    for key, kind in (("resourceMetrics", "metrics"), ("resourceLogs", "logs")):
        if key in document:
            return f"OTLP {kind}, not traces ({key}): give the file the traces are written to"
    data = document.get("data")
    if isinstance(data, list) and data and isinstance(data[0], dict) and "traceID" in data[0]:
        return (
            "Jaeger's JSON (data[].spans), not OTLP: get the trace from Jaeger's API v3 "
            "(/api/v3/traces/ID), which answers OTLP"
        )
    return "not an OTLP trace request (no resourceSpans list)"


def _resource(entry: Any) -> tuple[str, list[Any], SpanMaker]:
    if not isinstance(entry, dict):
        raise MalformedSpan("not an object")
    resource = entry.get("resource")
    if resource is None:
        resource = {}
    elif not isinstance(resource, dict):
        raise MalformedSpan("resource is not an object")
    attributes = attributes_of(resource.get("attributes"))
    service = attributes.get("service.name")
    scopes = entry.get("scopeSpans")
    if scopes is None:
        scopes = []
    elif not isinstance(scopes, list):
        raise MalformedSpan("scopeSpans is not a list")
    name = service if isinstance(service, str) else "unknown_service"
    return name, scopes, span_maker(attributes)


def _scope(entry: Any) -> tuple[str, list[Any]]:
    if not isinstance(entry, dict):
        raise MalformedSpan("not an object")
    scope = entry.get("scope")
    if scope is None:
        scope = {}
    elif not isinstance(scope, dict):
        raise MalformedSpan("scope is not an object")
    name = scope.get("name")
    spans = entry.get("spans")
    if spans is None:
        spans = []
    elif not isinstance(spans, list):
        raise MalformedSpan("spans is not a list")
    return (name if isinstance(name, str) else ""), spans


def _span(
    raw: Any, service_name: str, scope: str, latest: int, make: SpanMaker = SpanRecord
) -> SpanRecord:
    if not isinstance(raw, dict):
        raise MalformedSpan("span is not an object")
    trace_id, span_id = raw.get("traceId"), raw.get("spanId")
    if not isinstance(trace_id, str) or not isinstance(span_id, str) or not trace_id or not span_id:
        raise MalformedSpan("missing traceId/spanId")
    parent = raw.get("parentSpanId") or None
    if parent is not None and not isinstance(parent, str):
        raise MalformedSpan("parentSpanId is not a string")
    trace_id, span_id = _hex(trace_id, 16), _hex(span_id, 8)
    parent = _hex(parent, 8) if parent is not None else None
    start = nanos(raw.get("startTimeUnixNano"), "startTimeUnixNano")
    end = nanos(raw.get("endTimeUnixNano"), "endTimeUnixNano")
    if not EARLIEST_NS <= start <= end <= latest:  # one comparison chain on the happy path
        raise ImplausibleSpan(_implausible(start, end))
    status = raw.get("status") or {}
    return make(
        trace_id=trace_id.lower(),
        span_id=span_id.lower(),
        parent_span_id=parent.lower() if parent is not None else None,
        name=str(raw.get("name", "")),
        kind=_enum(raw.get("kind", 0), SPAN_KINDS, "SPAN_KIND_"),
        start_ns=start,
        end_ns=end,
        status=_enum(
            status.get("code", 0) if isinstance(status, dict) else 0, STATUS_CODES, "STATUS_CODE_"
        ),
        attributes=attributes_of(raw.get("attributes")),
        service_name=service_name,
        scope_name=scope,
        events=_events(raw.get("events")),
    )


def _hex(value: str, nbytes: int) -> str:
    """An id written in base64, as protobuf's generic JSON mapping writes bytes (OTLP JSON
    writes hex), as hex (:func:`.tempo_api.hex_id` decodes it); any other value as it is
    (lowercased by the caller's convention). Padded base64 of 8 or 16 bytes ends in "=", so a
    hex id is never taken for one."""
    if value.endswith("="):
        try:
            return tempo_api.hex_id(value, nbytes)
        except Malformed:
            return value
    return value


def _implausible(start: int, end: int) -> str:
    if start < EARLIEST_NS:
        return f"startTimeUnixNano {start} is before 2000-01-01"
    if end < start:
        return f"ends before it starts (endTimeUnixNano {end} < startTimeUnixNano {start})"
    return f"endTimeUnixNano {end} is more than a day after this run's clock"


def _events(raw: Any) -> tuple[SpanEvent, ...]:
    if not raw:
        return ()
    if not isinstance(raw, list):
        raise MalformedSpan("events is not a list")
    events = []
    for event in raw:
        if not isinstance(event, dict):
            continue
        at = nanos(event.get("timeUnixNano", 0), "event timeUnixNano")
        if not 0 <= at < _INT64:
            raise MalformedSpan(f"event timeUnixNano {at} is out of range")
        events.append(
            SpanEvent(str(event.get("name", "")), at, attributes_of(event.get("attributes")))
        )
    return tuple(events)


def _enum(value: Any, names: Mapping[int, str], prefix: str) -> str:
    if isinstance(value, int):
        return names.get(value, "internal" if prefix == "SPAN_KIND_" else "unset")
    if isinstance(value, str):
        name = value.removeprefix(prefix).lower()
        if name == "unspecified":
            return "internal"
        return name
    raise MalformedSpan(f"bad enum value {brief(value)}")
