"""Scalar fields of OTLP JSON: attribute values (``AnyValue``) and fixed64 times.

A value of the wrong shape raises :class:`MalformedSpan` (or ``ValueError`` from ``int``),
never anything the reader does not catch, so one bad attribute skips its span, not the file.
"""

from __future__ import annotations

from typing import Any, Final

from e2e_otel.sources.models import AttributeValue

_INT64: Final = 1 << 63
SPAN_KINDS: Final = {
    0: "internal", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"
}  # fmt: skip
STATUS_CODES: Final = {0: "unset", 1: "ok", 2: "error"}
_BRIEF: Final = 120  # characters of a bad value quoted in a problem: enough to recognise it


class MalformedSpan(ValueError):
    """A span (or its resource or scope entry) does not have the shape OTLP JSON gives it."""


def brief(value: object) -> str:
    """``value`` (an exception's message, or a repr) cut to a length a problem line can show."""
    text = str(value) if isinstance(value, BaseException) else repr(value)
    return text if len(text) <= _BRIEF else text[: _BRIEF - 3] + "..."


def nanos(value: Any, field: str) -> int:
    """A fixed64 time: a decimal string (proto3 JSON) or an integral number."""
    if isinstance(value, str):
        return int(value)  # ValueError on anything but digits
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():  # not NaN, not infinite
        return int(value)
    raise MalformedSpan(f"{field} is {'missing' if value is None else brief(value)}")


def attributes_of(raw: Any) -> dict[str, AttributeValue]:
    """OTLP JSON ``[{"key":..., "value": {"stringValue": ...}}]`` -> a plain dict. Entries
    without a string key are ignored; a value of the wrong shape raises MalformedSpan."""
    result: dict[str, AttributeValue] = {}
    if raw is None:
        return result
    if not isinstance(raw, list):
        raise MalformedSpan("attributes is not a list")
    for item in raw:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            result[item["key"]] = _value(item.get("value"))
    return result


def _value(value: Any) -> AttributeValue:
    if not isinstance(value, dict) or not value:
        return None
    kind, inner = next(iter(value.items()))
    # Most frequent first: this runs for every attribute of every span.
    if kind == "stringValue":
        if isinstance(inner, str):
            return inner
    elif kind == "intValue":
        if isinstance(inner, (str, int)) and not isinstance(inner, bool):
            number = int(inner)
            if -_INT64 <= number < _INT64:
                return number
    elif kind == "boolValue":
        if isinstance(inner, bool):
            return inner
    elif kind == "doubleValue":
        # "NaN", "Infinity" and "-Infinity" are valid proto3 JSON doubles: float() takes them.
        if isinstance(inner, (str, int, float)) and not isinstance(inner, bool):
            return float(inner)
    elif kind == "arrayValue":
        values = inner.get("values") if isinstance(inner, dict) else None
        if values is None and isinstance(inner, dict):
            return ()
        if isinstance(values, list):
            return tuple(_value(v) for v in values)
    elif kind == "bytesValue":
        if isinstance(inner, str):
            return inner
    else:  # kvlistValue (no analyzer reads one) or a kind from a newer OTLP: not read
        return None
    raise MalformedSpan(f"attribute {kind} of the wrong shape: {brief(inner)}")
