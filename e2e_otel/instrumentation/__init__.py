"""Framework integrations: Django (correlation id, workflow, traceresponse) and MySQL drivers."""

from __future__ import annotations

import logging

from e2e_otel.instrumentation.db import instrument_db
from e2e_otel.instrumentation.django import (
    DjangoNotConfiguredError,
    MissingDependencyError,
    instrument_django,
)

_logger = logging.getLogger(__name__)


def instrument_all() -> list[str]:
    """Instrument every supported library that is installed; returns what was instrumented.

    Idempotent. A library that is not installed is skipped silently (this is the auto path);
    call :func:`instrument_django` directly to get :class:`MissingDependencyError` instead.
    """
    done: list[str] = []
    try:
        instrument_django()
        done.append("django")
    except MissingDependencyError:
        pass
    except DjangoNotConfiguredError as exc:
        _logger.error("e2e_otel: %s", exc)
    done.extend(instrument_db())
    return done


__all__ = [
    "DjangoNotConfiguredError",
    "MissingDependencyError",
    "instrument_all",
    "instrument_db",
    "instrument_django",
]
