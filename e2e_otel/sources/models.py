"""Typed span records at the edge: every source yields these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple, TypeAlias

AttributeValue: TypeAlias = "str | bool | int | float | tuple[AttributeValue, ...] | None"


@dataclass(frozen=True, slots=True)
class SpanEvent:
    name: str
    time_ns: int
    attributes: Mapping[str, AttributeValue]


@dataclass(frozen=True, slots=True)
class SpanRecord:
    """One finished span. ``kind`` is ``server``/``client``/``internal``/``producer``/``consumer``;
    ``status`` is ``unset``/``ok``/``error``."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str
    start_ns: int
    end_ns: int
    status: str
    attributes: Mapping[str, AttributeValue]
    service_name: str
    scope_name: str
    events: tuple[SpanEvent, ...] = ()

    @property
    def duration_ms(self) -> float:
        return max(self.end_ns - self.start_ns, 0) / 1e6

    def attr(self, key: str) -> AttributeValue:
        return self.attributes.get(key)


class InputProblem(NamedTuple):
    """A piece of input that could not be read: where, and why. The rest is still read."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"
