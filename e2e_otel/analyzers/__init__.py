"""Analyzers: pure functions of telemetry + config + clock that produce findings."""

from __future__ import annotations
