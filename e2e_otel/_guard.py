"""Never break the host app: log the first failure of each kind once, count every one."""

from __future__ import annotations

import logging
import threading
from collections import Counter

_logger = logging.getLogger("e2e_otel")
_lock = threading.Lock()
_seen: set[str] = set()
failures: Counter[str] = Counter()
"""How many times each guarded operation failed (and its work was dropped) in this process."""


def report(where: str, exc: BaseException) -> None:
    """Record a swallowed failure; log it the first time only so a hot path cannot flood logs."""
    with _lock:
        failures[where] += 1
        first = where not in _seen
        _seen.add(where)
    if first:
        _logger.warning(
            "e2e_otel: %s failed and was skipped (further failures only counted): %r", where, exc
        )
