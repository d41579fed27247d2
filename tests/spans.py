"""Typed access to finished spans in tests."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.util.types import AnyValue


def attributes(span: ReadableSpan) -> Mapping[str, AnyValue]:
    """The span's attributes (the SDK types them optional; a finished span always has them)."""
    assert span.attributes is not None, f"span {span.name} has no attributes"
    return span.attributes
