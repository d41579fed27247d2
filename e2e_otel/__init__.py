"""e2e-otel: an OpenTelemetry distribution for Next.js + Django REST + MySQL teams.

Public API: :func:`configure`, :func:`load_config`, :func:`fingerprint`, :func:`fingerprint_id`.
"""

from __future__ import annotations

from e2e_otel.config import Config, ConfigError, load_config
from e2e_otel.setup import Handle, configure
from e2e_otel.sql.fingerprint import fingerprint, fingerprint_id

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "Handle",
    "__version__",
    "configure",
    "fingerprint",
    "fingerprint_id",
    "load_config",
]
