"""Typed span records at the edge: every source yields these."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple, TypeAlias

from e2e_otel import attributes as attr

AttributeValue: TypeAlias = "str | bool | int | float | tuple[AttributeValue, ...] | None"


@dataclass(frozen=True, slots=True)
class SpanEvent:
    name: str
    time_ns: int
    attributes: Mapping[str, AttributeValue]


@dataclass(frozen=True, slots=True)
class SamplingMark:
    """The sampling tier's mark on a span's resource: the trace was kept by tail sampling
    (``policy``), ordinary traces at ``baseline_percent`` % (None when not recorded)."""

    policy: str
    baseline_percent: float | None = None


def sampling_mark(resource: Mapping[str, AttributeValue]) -> SamplingMark | None:
    """The mark in a resource's attributes, or None (read once per resource, not per span)."""
    policy = resource.get(attr.SAMPLING_POLICY)
    if not isinstance(policy, str) or not policy:
        return None
    percent = resource.get(attr.SAMPLING_BASELINE_PERCENT)
    if isinstance(percent, bool) or not isinstance(percent, int | float):
        return SamplingMark(policy)
    return SamplingMark(policy, float(percent) if 0 <= percent <= 100 else None)


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

    @property
    def sampling(self) -> SamplingMark | None:
        """The sampling tier's mark on the span's resource: None, but on a
        :class:`SampledSpanRecord`."""
        return None


@dataclass(frozen=True, slots=True)
class SampledSpanRecord(SpanRecord):
    """A span whose resource carries a sampling tier's mark. A subclass rather than a field,
    so that building the usual, unmarked spans costs not one instruction more."""

    sampling: SamplingMark | None = None


def span_maker(resource: Mapping[str, AttributeValue]) -> Callable[..., SpanRecord]:
    """What builds the spans of a resource: :class:`SpanRecord`, or a
    :class:`SampledSpanRecord` with the resource's sampling mark (decided once per resource)."""
    mark = sampling_mark(resource)
    return SpanRecord if mark is None else partial(SampledSpanRecord, sampling=mark)


#: A span as the fields of a :class:`SampledSpanRecord`, in its order (``sampling`` last,
#: None for an unmarked span): what the analyzer's dataset builder folds without a record.
SpanFields: TypeAlias = tuple[
    str, str, "str | None", str, str, int, int, str,
    dict[str, AttributeValue], str, str, tuple[SpanEvent, ...], "SamplingMark | None",
]  # fmt: skip


class InputProblem(NamedTuple):
    """A piece of input that could not be read: where, and why. The rest is still read."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class MetricSample:
    """One series of a Prometheus instant vector: its labels and value (NaN and ±Inf kept as
    the floats Prometheus sent; a histogram quantile over no requests is NaN)."""

    labels: Mapping[str, str]
    value: float


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """One series of a range result: (unix seconds, value) points, ascending in time."""

    labels: Mapping[str, str]
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class TraceSummary:
    """A trace found by a search: its hex id, root, start, duration, and the attributes of the
    matched spans (from TraceQL ``select(...)``), span by span."""

    trace_id: str
    root_service: str
    root_name: str
    start_ns: int
    duration_ms: float
    spans: tuple[Mapping[str, AttributeValue], ...] = ()
