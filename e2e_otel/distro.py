"""Entry points for ``opentelemetry-instrument``: the distro sets defaults, the configurator
installs tracing through the same :func:`e2e_otel.configure` path as code-based setup."""

from __future__ import annotations

import logging
import os
from typing import Any

from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]
from opentelemetry.sdk._configuration import _BaseConfigurator

from e2e_otel.privacy import SECRET_HEADER_WORDS

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
            )

            if not django_settings_known():
                _logger.error("e2e_otel: %s", DjangoNotConfiguredError())
                return

            for key, value in hooks().items():
                kwargs.setdefault(key, value)
        super().load_instrumentor(entry_point, **kwargs)


class E2EOtelConfigurator(_BaseConfigurator):
    """Configures tracing with our processors; instrumentors are loaded by the distro."""

    def _configure(self, **kwargs: Any) -> None:
        from e2e_otel.setup import configure

        # A bad $E2E_OTEL_CONFIG is logged once there and the defaults are used: auto-
        # instrumentation never stops the app.
        configure(instrument=False)
