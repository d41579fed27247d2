"""Prometheus HTTP API answers (``/api/v1/query``, ``/api/v1/query_range``) decoded into typed
samples and series, each field checked (:mod:`e2e_otel.sources.shapes`): a wrong shape is a
:class:`~e2e_otel.sources.shapes.Malformed` naming the field, never a KeyError.

The documented shape: ``{"status": "success", "data": {"resultType": "vector" | "matrix",
"result": [...]}, "warnings": [str, ...]}``; a vector item is ``{"metric": {label: str},
"value": [unix seconds, "value"]}``, a matrix item has ``"values": [[unix seconds, "value"],
...]``. Values are strings, where "NaN", "+Inf" and "-Inf" are values too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from e2e_otel.sources.models import MetricSample, MetricSeries
from e2e_otel.sources.shapes import (
    MAX_UNIX_SECONDS,
    Malformed,
    array,
    bounded,
    number,
    obj,
    shown,
    string,
)

#: Distinct warnings kept from one client's answers: a server may send thousands, and each
#: becomes a line of the report.
MAX_WARNINGS = 10


class QueryFailed(Malformed):
    """A well-formed answer whose ``status`` is not ``success``; ``error`` is what the server
    said, as sent (the client blanks secrets in it before cutting it short)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True)
class Answer:
    """A decoded answer: its result items (still to be read) and the server's warnings."""

    result: list[Any]
    warnings: tuple[str, ...]


def decode(body: Any, kind: str) -> Answer:
    """The result list of a successful ``kind`` ("vector" or "matrix") answer."""
    answer = obj(body, "the answer")
    if answer.get("status") != "success":
        error = answer.get("error")
        raise QueryFailed(error if isinstance(error, str) and error else "status is not success")
    raw = array(answer.get("warnings"), "warnings", optional=True)
    warnings = tuple(string(w, f"warnings[{i}]") for i, w in enumerate(raw))
    data = obj(answer.get("data"), "data")
    if data.get("resultType") != kind:
        raise Malformed(f"data.resultType: expected a {kind}, got {shown(data.get('resultType'))}")
    return Answer(array(data.get("result"), "data.result"), warnings)


def labels(item: dict[str, Any], where: str) -> dict[str, str]:
    """The series' labels (``metric``); every value a string."""
    metric = obj(item.get("metric"), f"{where}.metric", optional=True)
    return {key: string(value, f"{where}.metric.{key}") for key, value in metric.items()}


def point(pair: Any, where: str) -> tuple[float, float]:
    """(unix seconds, value) of ``[1714564800.5, "12"]``."""
    items = array(pair, where)
    if len(items) != 2:
        raise Malformed(f"{where}: expected [time, value], got {shown(items)}")
    return (
        bounded(items[0], f"{where}[0]", 0.0, MAX_UNIX_SECONDS),
        number(items[1], f"{where}[1]", special=True),
    )


def sample(item: Any, where: str) -> MetricSample:
    """One instant-vector item."""
    series = obj(item, where)
    return MetricSample(labels(series, where), point(series.get("value"), f"{where}.value")[1])


def series(item: Any, where: str) -> MetricSeries:
    """One matrix item, its points in ascending time (as Prometheus sends them)."""
    found = obj(item, where)
    values = array(found.get("values"), f"{where}.values")
    points = tuple(point(pair, f"{where}.values[{i}]") for i, pair in enumerate(values))
    return MetricSeries(labels(found, where), tuple(sorted(points)))
