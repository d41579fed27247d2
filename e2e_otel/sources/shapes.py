"""Typed reads of a decoded JSON answer, for the backends' clients: each takes a value and
where it sits (``"data.result[3].value"``) and returns it typed, or raises :class:`Malformed`
saying where and what was wrong. A backend answering with the wrong shape, a string where a
number goes or a number no real answer holds is then one readable error, never an
AttributeError or OverflowError deep in the analysis.

Numbers are bounded (:data:`MAX_NUMBER`), so that sums and products of them in the analyzers
stay finite floats: 2**53 is the largest count a float holds exactly, more milliseconds than
285,000 years, more requests than any window counts.
"""

from __future__ import annotations

import math
from typing import Any

#: The largest magnitude of a finite number read from a backend (see the module docstring).
MAX_NUMBER = float(2**53)
#: Unix seconds up to the end of year 9999, the last instant a datetime can hold.
MAX_UNIX_SECONDS = 253402300799.0
_SHOWN = 40  # characters of a bad value quoted in a message
#: Characters kept of text a server sent (an error, a warning) in a one-line message.
SNIPPET = 200


class Malformed(ValueError):
    """A decoded answer without the documented shape; ``str()`` says where and what."""


def shown(value: object) -> str:
    """A short ``repr`` of a bad value for a message (an answer may be megabytes)."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def one_line(text: str, limit: int = SNIPPET) -> str:
    """``text`` on one line, cut to ``limit`` characters (a server may send megabytes)."""
    text = " ".join(text[: 8 * limit].split())  # folded after the cut: bounded work
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(value: object) -> str:
    if value is None:
        return "null"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), "a number")


def _expected(what: str, value: object, where: str) -> Malformed:
    return Malformed(f"{where}: expected {what}, got {_kind(value)} {shown(value)}")


def obj(value: object, where: str, *, optional: bool = False) -> dict[str, Any]:
    """``value`` as a JSON object; with ``optional``, null or absent is an empty one."""
    if optional and value is None:
        return {}
    if not isinstance(value, dict):
        raise _expected("an object", value, where)
    return value


def array(value: object, where: str, *, optional: bool = False) -> list[Any]:
    """``value`` as a JSON list; with ``optional``, null or absent is an empty one (protobuf's
    JSON mapping leaves an empty repeated field out)."""
    if optional and value is None:
        return []
    if not isinstance(value, list):
        raise _expected("a list", value, where)
    return value


def string(value: object, where: str, *, default: str | None = None) -> str:
    """``value`` as a string; ``default`` stands for null or absent when given."""
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        raise _expected("a string", value, where)
    return value


def number(value: object, where: str, *, special: bool = False) -> float:
    """``value`` as a float, from a JSON number or a numeric string (Prometheus sends its
    values as strings). ``special``: NaN and ±Inf are values (Prometheus sends a quantile over
    no requests as NaN), else they are malformed; a finite one beyond :data:`MAX_NUMBER` is
    always malformed."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _expected("a number", value, where)
    try:
        result = float(value)
    except ValueError:  # "abc"
        raise _expected("a number", value, where) from None
    except OverflowError:  # an integer beyond the float range
        raise Malformed(f"{where}: {shown(value)} is out of range (|x| <= 2**53)") from None
    if math.isfinite(result):
        if abs(result) > MAX_NUMBER:
            raise Malformed(f"{where}: {shown(value)} is out of range (|x| <= 2**53)")
    elif not special:
        raise Malformed(f"{where}: expected a finite number, got {shown(value)}")
    return result


def bounded(value: object, where: str, low: float, high: float) -> float:
    """``value`` as a finite float in [low, high] (e.g. a timestamp)."""
    result = number(value, where)
    if not low <= result <= high:
        raise Malformed(f"{where}: {shown(value)} is not between {low:g} and {high:g}")
    return result


def integer(value: object, where: str, *, default: int | None = None) -> int:
    """``value`` as a non-negative integer up to 2**63 (ids, nanosecond timestamps), from a
    JSON integer or a decimal string (the protobuf JSON mapping writes 64-bit integers as
    strings); ``default`` stands for null or absent when given."""
    if value is None and default is not None:
        return default
    if isinstance(value, str) and value.isdecimal() and len(value) <= 19:
        result = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        result = value
    elif isinstance(value, float) and value.is_integer():
        result = int(value)
    else:
        raise _expected("an integer", value, where)
    if not 0 <= result < 2**63:
        raise Malformed(f"{where}: {shown(value)} is not between 0 and 2**63")
    return result
