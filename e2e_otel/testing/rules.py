"""The analyzer's own rules on a test's spans: the same function, settings and configuration
``e2e-otel analyze`` uses, so a test fails on exactly what the report would find."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from e2e_otel import attributes as attr
from e2e_otel.analyzers import n_plus_one
from e2e_otel.analyzers.builder import DatasetBuilder
from e2e_otel.analyzers.models import Recommendation
from e2e_otel.config import Config
from e2e_otel.sources.models import SpanRecord


def n_plus_one_findings(spans: Sequence[SpanRecord], config: Config) -> list[Recommendation]:
    """The N+1 findings of ``spans`` under ``config``'s ``analyzers.n_plus_one`` settings."""
    builder = DatasetBuilder()
    for span in spans:
        builder.add(span)
    result = n_plus_one.analyze(builder.finish(), config, datetime.now(timezone.utc))
    return list(result.recommendations)


def loop_spans(spans: Sequence[SpanRecord], finding: Recommendation) -> list[SpanRecord]:
    """The database spans of ``finding``'s statement (its fingerprint id) in ``spans``."""
    fp_id = finding.evidence.fingerprint_id
    return [s for s in spans if fp_id is not None and s.attr(attr.DB_FINGERPRINT_ID) == fp_id]
