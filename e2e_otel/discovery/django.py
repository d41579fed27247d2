"""``discover django``: the endpoints of a Django / DRF project, scanned in a child process.

The child (:mod:`e2e_otel.discovery.django_scan`) imports the project with its own settings
and refuses every database connection; this side only reads its JSON into typed objects.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from e2e_otel.discovery.django_child import DEFAULT_TIMEOUT_S, DjangoChildError, run_django_task
from e2e_otel.discovery.django_models import DjangoDiscovery, discovery_from_json

__all__ = ["DjangoChildError", "discover_django"]

_SCAN = Path(__file__).with_name("django_scan.py")


def discover_django(
    settings: str,
    *,
    pythonpath: Sequence[str] = (),
    python: str = sys.executable,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> DjangoDiscovery:
    """Scan the project whose settings module is ``settings``.

    ``pythonpath``: directories the project imports from (its root first; the child runs
    there). ``python``: the interpreter with the project's dependencies. Raises
    :class:`DjangoChildError` with a one-line message when the project cannot be loaded or
    touches the database during the scan.
    """
    result, database_access = run_django_task(
        _SCAN, settings, pythonpath=pythonpath, python=python, timeout_s=timeout_s
    )
    if not isinstance(result, dict):
        raise DjangoChildError("crash", f"{settings}: the scanner answered {type(result).__name__}")
    discovery = discovery_from_json(result)
    notes = [
        f"the project tried to reach the database at {where} while being scanned (refused; "
        "the error was caught and the scan went on)"
        for where in database_access
    ]
    return replace(discovery, warnings=once_each((*discovery.warnings, *notes)))


def once_each(warnings: Iterable[str]) -> tuple[str, ...]:
    """Each distinct warning once, in first-seen order, with how often it came when more
    than once (a query in a loop at import time is one problem, not twenty lines)."""
    counts = Counter(warnings)
    return tuple(w if n == 1 else f"{w} ({n} times)" for w, n in counts.items())
