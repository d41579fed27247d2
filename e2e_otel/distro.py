"""Entry points for ``opentelemetry-instrument``: the distro sets defaults, the configurator is
the SDK's, given our processors, and shares :func:`e2e_otel.setup.install` with
:func:`e2e_otel.configure`."""

from __future__ import annotations

import logging
import os
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]
from opentelemetry.sdk._configuration import _OTelSDKConfigurator
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter

from e2e_otel import environment_variables as env
from e2e_otel import exporters
from e2e_otel.config import Config, env_flag
from e2e_otel.privacy import SECRET_HEADER_WORDS
from e2e_otel.setup import export_processor, install, start_processors

_logger = logging.getLogger(__name__)

# Header values never recorded even if a user asks to capture these headers: the contrib
# instrumentations search each entry in the header name (the export-stage redaction enricher
# drops the same headers, for code-based setup where this variable is not set).
_SANITIZE = "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS"


class E2EOtelDistro(BaseDistro):  # type: ignore[misc]
    """Sets OpenTelemetry defaults (only where the user set nothing) and adds our hooks."""

    def _configure(self, **kwargs: Any) -> None:
        os.environ.setdefault("OTEL_TRACES_EXPORTER", "otlp")
        os.environ.setdefault("OTEL_METRICS_EXPORTER", "none")
        os.environ.setdefault("OTEL_LOGS_EXPORTER", "none")
        os.environ.setdefault("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        os.environ.setdefault("OTEL_PROPAGATORS", "tracecontext,baggage")
        fields = [f.strip() for f in os.environ.get(_SANITIZE, "").split(",") if f.strip()]
        fields += [w for w in SECRET_HEADER_WORDS if w not in {f.lower() for f in fields}]
        os.environ[_SANITIZE] = ",".join(fields)

    def load_instrumentor(self, entry_point: Any, **kwargs: Any) -> None:
        if entry_point.name == "django":
            from e2e_otel.instrumentation.django import (
                DjangoNotConfiguredError,
                django_settings_known,
                hooks,
                watch_asgi_support,
            )

            if not django_settings_known():
                _logger.error("e2e_otel: %s", DjangoNotConfiguredError())
                return

            for key, value in hooks().items():
                kwargs.setdefault(key, value)
            super().load_instrumentor(entry_point, **kwargs)
            watch_asgi_support()
            return
        super().load_instrumentor(entry_point, **kwargs)


class E2EOtelConfigurator(_OTelSDKConfigurator):
    """The SDK's configurator (providers and exporters for ``OTEL_TRACES_EXPORTER``,
    ``OTEL_METRICS_EXPORTER``, ``OTEL_LOGS_EXPORTER``, sampler, id generator, resource) with
    our processors through its own parameters: the start stage as ``span_processors``, and
    every span exporter it builds wrapped by our export stage (``export_span_processor``).
    Instrumentors are loaded by the distro."""

    def _configure(self, **kwargs: Any) -> None:
        if env_flag(env.E2E_OTEL_DISABLED, False):
            super()._configure(**kwargs)  # type: ignore[no-untyped-call]  # plain SDK
            return
        # A bad $E2E_OTEL_CONFIG is logged once there and the defaults are used: auto-
        # instrumentation never stops the app.
        install(None, lambda config: self._sdk(config, kwargs), instrument=False)

    def _sdk(
        self, config: Config, kwargs: dict[str, Any]
    ) -> tuple[TracerProvider | None, list[SpanProcessor]]:
        exporters.keep_usable_names()
        start = start_processors(config)
        traces_file = exporters.file_exporter()
        if traces_file is not None:
            start.append(export_processor(traces_file, config))
        exported: list[SpanProcessor] = []

        def export_stage(exporter: SpanExporter, *args: Any, **options: Any) -> SpanProcessor:
            processor = export_processor(exporter, config)
            exported.append(processor)
            return processor

        ours = {
            "span_processors": start,
            "export_span_processor": export_stage,
            "id_generator": exporters.id_generator(),
        }
        try:
            super()._configure(**{**ours, **kwargs})  # type: ignore[no-untyped-call]
        except Exception as exc:  # e.g. an exporter failing to start: the app runs on
            _logger.error("e2e_otel: the OpenTelemetry SDK configuration failed: %r", exc)
        provider = trace.get_tracer_provider()
        return (provider if isinstance(provider, TracerProvider) else None), start + exported
