"""What a test asserts on: the spans of one workflow, correlation id or response.

Every assertion returns the trace, so they chain, and fails with a message a developer can act
on alone: what was expected, what was found, and the trace as a tree with the offending spans
marked ``>>``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import NoReturn

from e2e_otel import attributes as attr
from e2e_otel.analyzers.common import percentile
from e2e_otel.config import Config
from e2e_otel.sources.models import SpanRecord
from e2e_otel.testing.tree import render


class TraceAssertionError(AssertionError):
    """A trace assertion failed; ``spans`` are the offending ones (empty when none exist)."""

    def __init__(self, message: str, spans: Sequence[SpanRecord] = ()) -> None:
        super().__init__(message)
        self.spans = tuple(spans)


class Trace:
    """Spans selected from what a test captured (``label`` names the selection).

    Assertions set ``__tracebackhide__``: pytest shows the test's line, not the plugin's."""

    def __init__(self, spans: Sequence[SpanRecord], label: str, config: Config) -> None:
        self.spans = tuple(spans)
        self.label = label
        self._config = config

    def __len__(self) -> int:
        return len(self.spans)

    def __repr__(self) -> str:
        return f"<Trace {self.label}: {len(self.spans)} spans>"

    @property
    def trace_ids(self) -> tuple[str, ...]:
        """The ids of the traces the spans belong to, in order of first span."""
        return tuple(dict.fromkeys(s.trace_id for s in self.spans))

    @property
    def queries(self) -> tuple[SpanRecord, ...]:
        """The database spans, in start order."""
        return self.layer(attr.LAYER_DATABASE)

    def layer(self, name: str) -> tuple[SpanRecord, ...]:
        """The spans of layer ``name`` (``frontend``, ``api``, ``database``, ...)."""
        _check_layers([name])
        return tuple(s for s in self.spans if s.attr(attr.LAYER) == name)

    def tree(self, marks: Mapping[str, str] | None = None) -> str:
        """The spans as an indented tree per trace."""
        return render(self.spans, marks)

    def assert_complete(self, layers: Iterable[str] = ("api", "database")) -> Trace:
        """Every trace has spans in each of ``layers`` and no span lost its in-process parent
        (a parent that never ended, or was dropped, leaves its children dangling)."""
        __tracebackhide__ = True
        wanted = _check_layers(layers)
        if not self.spans:
            # Nothing captured is never complete: instrumentation off, or spans not exported.
            self._fail(
                f"assert_complete(layers={sorted(wanted)}) failed for {self.label}: no spans "
                "were captured (is the code under test instrumented and run in this process, "
                "or exported to the plugin's receiver?)"
            )
        problems = []
        for trace_id in self.trace_ids:
            spans = [s for s in self.spans if s.trace_id == trace_id]
            missing = sorted(wanted - {str(s.attr(attr.LAYER)) for s in spans})
            if missing:
                problems.append(f"trace {trace_id} has no {', '.join(missing)} span")
        known = {s.span_id for s in self.spans}
        orphans = [
            s
            for s in self.spans
            if s.parent_span_id is not None
            and s.parent_span_id not in known
            and s.kind not in ("server", "consumer")  # a request's caller may be remote
        ]
        if orphans:
            problems.append(
                f"{len(orphans)} span(s) whose parent span was never exported (not ended?)"
            )
        if problems:
            self._fail(
                f"assert_complete(layers={sorted(wanted)}) failed for {self.label}: "
                + "; ".join(problems),
                {s.span_id: "parent missing" for s in orphans},
            )
        return self

    def assert_max_queries(self, limit: int) -> Trace:
        """At most ``limit`` database spans in all (Django's ``assertNumQueries``, as a cap)."""
        __tracebackhide__ = True
        queries = self.queries
        if len(queries) > limit:
            counts = Counter(_statement(q) for q in queries)
            by_statement = "\n".join(f"  {n:>4} x {text}" for text, n in counts.most_common())
            self._fail(
                f"assert_max_queries({limit}) failed: {self.label} ran {len(queries)} queries, "
                f"{len(queries) - limit} over the limit. Queries by statement:\n{by_statement}",
                {q.span_id: f"query {i}" for i, q in enumerate(queries, 1)},
            )
        return self

    def assert_no_n_plus_one(self) -> Trace:
        """No N+1 query loop, by the analyzer's own ``n_plus_one`` rule and its settings
        (``analyzers.n_plus_one`` in the configuration)."""
        __tracebackhide__ = True
        from e2e_otel.testing.rules import loop_spans, n_plus_one_findings

        findings = n_plus_one_findings(self.spans, self._config)
        if findings:
            marks: dict[str, str] = {}
            text = []
            for finding in findings:
                spans = loop_spans(self.spans, finding)
                marks.update(
                    {s.span_id: f"loop {i} of {len(spans)}" for i, s in enumerate(spans, 1)}
                )
                steps = "\n".join(f"    - {step}" for step in finding.steps)
                text.append(f"  {finding.title}\n  {finding.description}\n  Fix:\n{steps}")
            self._fail(
                f"assert_no_n_plus_one() failed: {len(findings)} N+1 loop(s) in {self.label}\n"
                + "\n".join(text),
                marks,
            )
        return self

    def assert_p95(self, layer: str, under_ms: float) -> Trace:
        """The 95th percentile (nearest rank, as the analyzers compute it) of the durations of
        ``layer``'s spans is under ``under_ms``."""
        __tracebackhide__ = True
        spans = self.layer(layer)
        if not spans:
            self._fail(f"assert_p95(layer={layer!r}) failed: {self.label} has no {layer} span")
        p95_ms = percentile(sorted(s.end_ns - s.start_ns for s in spans), 95) / 1e6
        if p95_ms >= under_ms:
            slow = {s.span_id: f"over {under_ms:g} ms" for s in spans if s.duration_ms >= under_ms}
            self._fail(
                f"assert_p95(layer={layer!r}, under_ms={under_ms:g}) failed: p95 of "
                f"{len(spans)} {layer} span(s) in {self.label} is {p95_ms:.1f} ms",
                slow,
            )
        return self

    def assert_no_errors(self) -> Trace:
        """No span failed: no ``e2e.error.category`` (HTTP 4xx/5xx included), no ERROR status."""
        __tracebackhide__ = True
        failed = [s for s in self.spans if s.attr(attr.ERROR_CATEGORY) or s.status == "error"]
        if failed:
            kinds = Counter(str(s.attr(attr.ERROR_CATEGORY) or "error status") for s in failed)
            self._fail(
                f"assert_no_errors() failed: {len(failed)} failed span(s) in {self.label} ("
                + ", ".join(f"{k}: {n}" for k, n in sorted(kinds.items()))
                + ")"
                + _exceptions(failed),
                {s.span_id: "failed" for s in failed},
            )
        return self

    def assert_error(self, category: str) -> Trace:
        """Some span failed with ``category`` (one of the error taxonomy's)."""
        __tracebackhide__ = True
        if category not in attr.ERROR_CATEGORIES:
            raise ValueError(
                f"unknown error category {category!r}; one of: {', '.join(attr.ERROR_CATEGORIES)}"
            )
        if not any(s.attr(attr.ERROR_CATEGORY) == category for s in self.spans):
            seen = sorted({str(s.attr(attr.ERROR_CATEGORY)) for s in self.spans} - {"None"})
            others = [s for s in self.spans if s.attr(attr.ERROR_CATEGORY)]
            self._fail(
                f"assert_error(category={category!r}) failed: no span of {self.label} has it; "
                f"categories seen: {', '.join(seen) or 'none (nothing failed)'}",
                {s.span_id: "other category" for s in others},
            )
        return self

    def _fail(self, message: str, marks: Mapping[str, str] | None = None) -> NoReturn:
        __tracebackhide__ = True
        marks = marks or {}
        legend = "\n(>> marks the offending spans)" if marks else ""
        offending = [s for s in self.spans if s.span_id in marks]
        raise TraceAssertionError(f"{message}{legend}\n{self.tree(marks)}", offending)


def _check_layers(layers: Iterable[str]) -> set[str]:
    wanted = {layers} if isinstance(layers, str) else set(layers)
    unknown = sorted(wanted - attr.LAYERS)
    if unknown:
        raise ValueError(f"unknown layer(s) {unknown}; one of: {', '.join(sorted(attr.LAYERS))}")
    return wanted


def _statement(span: SpanRecord) -> str:
    fp = span.attr(attr.DB_FINGERPRINT) or attr.db_statement(span.attributes) or span.name
    return f"{fp}  (fp {span.attr(attr.DB_FINGERPRINT_ID)})"


def _exceptions(spans: Sequence[SpanRecord]) -> str:
    found = []
    for span in spans:
        for event in span.events:
            if event.name == "exception":
                kind = event.attributes.get("exception.type")
                text = event.attributes.get("exception.message")
                found.append(f"  {span.name}: {kind}: {text}")
    unique = list(dict.fromkeys(found))
    return "\nExceptions:\n" + "\n".join(unique) if unique else ""
