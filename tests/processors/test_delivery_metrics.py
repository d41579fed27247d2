"""The delivery counts as metrics under ``configure()``: through the global meter provider, also
one the app sets afterwards, and no meter provider of ours when the app has none. A fresh
interpreter per case (the global providers can be set once per process)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.integration.services import clean_env

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.trace.export import SpanExportResult
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    import e2e_otel

    class Refusing(InMemorySpanExporter):
        def export(self, spans):
            return SpanExportResult.FAILURE

    handle = e2e_otel.configure(
        span_exporter=[InMemorySpanExporter(), Refusing()], instrument=False
    )
    tracer = trace.get_tracer("app")
    for index in range(3):
        with tracer.start_as_current_span(f"work {index}"):
            pass
    handle.force_flush()
    if sys.argv[1] == "off":
        print(json.dumps(type(metrics.get_meter_provider()).__name__))
        sys.exit(0)
    # The app sets its meter provider after configure(): our instruments still reach it.
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    points = []
    for resource in reader.get_metrics_data().resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    points.append([metric.name, dict(point.attributes), point.value])
    print(json.dumps(points))
    """
)


def _run(mode: str) -> object:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        env=clean_env({"OTEL_TRACES_EXPORTER": "none"}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_delivery_counts_reach_a_meter_provider_set_later() -> None:
    points = _run("on")
    assert isinstance(points, list)
    seen = {(name, tuple(sorted(attrs.items()))): value for name, attrs, value in points}
    memory = (("e2e_otel.exporter", "InMemorySpanExporter"),)
    refusing = (("e2e_otel.exporter", "Refusing"),)
    assert seen[("e2e_otel.span.ended", memory)] == 3
    assert seen[("e2e_otel.span.exported", memory)] == 3
    assert seen[("e2e_otel.span.ended", refusing)] == 3
    assert seen[("e2e_otel.span.exported", refusing)] == 0
    assert seen[("e2e_otel.span.exported", (*refusing, ("error.type", "rejected")))] == 3
    shutdown = (*memory, ("error.type", "shutdown_timeout"))
    assert seen[("e2e_otel.span.exported", shutdown)] == 0


def test_no_meter_provider_is_created_when_the_app_has_none() -> None:
    assert _run("off") == "_ProxyMeterProvider"
