"""e2e-otel: an OpenTelemetry distribution for Next.js + Django REST + MySQL teams.

Public API: :func:`configure`, :func:`load_config`, :func:`fingerprint`, :func:`fingerprint_id`,
and the building blocks :func:`start_processors` and :func:`export_processor` for a tracer
provider set up by your own code.
"""

from __future__ import annotations

from e2e_otel.config import Config, ConfigError, load_config
from e2e_otel.setup import Handle, configure, export_processor, start_processors
from e2e_otel.sql.fingerprint import fingerprint, fingerprint_id

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "Handle",
    "__version__",
    "configure",
    "export_processor",
    "fingerprint",
    "fingerprint_id",
    "load_config",
    "start_processors",
]
