"""Read telemetry into typed records. Analyzers consume these, whatever the source."""

from __future__ import annotations
