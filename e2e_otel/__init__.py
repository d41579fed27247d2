"""e2e-otel: an OpenTelemetry distribution for Next.js + Django REST + MySQL teams.

Public API: :func:`configure`, :func:`load_config`, :func:`fingerprint`, :func:`fingerprint_id`,
and the building blocks :func:`start_processors` and :func:`export_processor` for a tracer
provider set up by your own code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# The public names load on first use (PEP 562): importing a submodule, as the pytest plugin's
# entry point and the CLI do, does not pull in the OpenTelemetry SDK (~0.13 s) with it.
_HOME = {
    **dict.fromkeys(["Config", "ConfigError", "load_config"], "e2e_otel.config"),
    **dict.fromkeys(
        ["Handle", "configure", "export_processor", "start_processors"], "e2e_otel.setup"
    ),
    **dict.fromkeys(["fingerprint", "fingerprint_id"], "e2e_otel.sql.fingerprint"),
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
