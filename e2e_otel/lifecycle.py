"""Flush on SIGTERM: ``docker stop``, systemd and ``kill`` end a process with SIGTERM, whose
default action skips ``atexit``, so the spans still queued would be lost.

Installed only where it cannot change what the app does: in the main thread, and only while
SIGTERM has its default action. An app (or server such as gunicorn) that handles SIGTERM itself
keeps its handler; its normal exit runs the SDK's ``atexit`` flush. Ours flushes within the
shutdown budget, restores the default action and sends SIGTERM again, so the process still
ends the way SIGTERM ends it (exit status 143 in a shell).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType

_logger = logging.getLogger("e2e_otel")
_installed: object = None  # our handler, once installed


def install_sigterm_flush(flush: Callable[[], None]) -> bool:
    """Run ``flush`` on SIGTERM, then terminate as SIGTERM does; True when installed (or
    installed before: one handler per process, so ``flush`` should act on what is current)."""
    global _installed
    if threading.current_thread() is not threading.main_thread():
        _logger.debug("e2e_otel: not in the main thread; SIGTERM keeps its handler")
        return False
    try:
        current = signal.getsignal(signal.SIGTERM)
    except (ValueError, OSError):  # pragma: no cover - platforms without SIGTERM
        return False
    if current is _installed and current is not None:
        return True
    if current is not signal.SIG_DFL:
        _logger.debug("e2e_otel: the app handles SIGTERM itself; its handler is kept")
        return False

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        try:
            flush()
        except Exception as exc:  # the process is ending: never stop it from ending
            _logger.warning("e2e_otel: flush on SIGTERM failed: %r", exc)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)
    _installed = on_sigterm
    return True
