"""Durations and listen addresses as the command line spells them: ``90s``, ``5m``, ``1h30m``,
``7d``; ``127.0.0.1:9464``, ``[::1]:9464``."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def parse_duration(text: str) -> timedelta:
    """``5m`` -> 5 minutes. Units ms, s, m, h, d, w, combinable (``1h30m``) as in Prometheus.
    Raises ValueError with a readable reason on anything else, or on a zero duration."""
    spelled = text.strip()
    position, seconds = 0, 0.0
    for match in _PART.finditer(spelled):
        if match.start() != position:
            break
        seconds += float(match[1]) * _UNITS[match[2]]
        position = match.end()
    if not spelled or position != len(spelled):
        raise ValueError(f"not a duration: {text!r} (examples: 30s, 5m, 1h30m, 7d)")
    if seconds <= 0:
        raise ValueError(f"duration must be more than zero: {text!r}")
    return timedelta(seconds=seconds)


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (IPv6 hosts in brackets) -> (host, port). Raises ValueError."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"not HOST:PORT: {text!r} (example: 127.0.0.1:9464)")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)
