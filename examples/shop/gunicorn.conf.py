"""gunicorn settings for a traced Django app: ``gunicorn -c gunicorn.conf.py shop_project.wsgi``.

Two steps, both needed whether or not the app is preloaded (``--preload``/``preload_app``):

- When this file is read, in the master: the Django and MySQL instrumentation (it only patches
  ``settings.MIDDLEWARE`` and the driver; no thread, no exporter). With ``--preload`` the master
  loads the WSGI application right after reading this file, and Django builds its middleware
  chain then: instrumenting any later (in ``post_fork``) gives no server spans at all.
- After each fork (``post_fork``): the tracer provider and its exporters, so every worker has
  its own export thread. ``worker_exit`` flushes the worker's queued spans within the shutdown
  budget (``E2E_OTEL_SHUTDOWN_TIMEOUT``) when gunicorn stops or recycles it (SIGTERM,
  ``--max-requests``). gunicorn handles SIGTERM itself, so e2e-otel leaves its handler alone.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import e2e_otel

wsgi_app = "shop_project.wsgi"
bind = os.environ.get("SHOP_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("SHOP_WORKERS", "2"))

# The instrumentation reads settings.MIDDLEWARE: name the settings before it runs.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop_project.settings")
try:
    from e2e_otel.instrumentation import instrument_all

    instrument_all()
except Exception as exc:  # gunicorn must start anyway; post_fork instruments again
    logging.getLogger("e2e_otel").error("e2e_otel: instrumentation in the master failed: %r", exc)

_handle: e2e_otel.Handle | None = None


def post_fork(server: Any, worker: Any) -> None:
    global _handle
    _handle = e2e_otel.configure(service_name=os.environ.get("OTEL_SERVICE_NAME", "shop-api"))


def worker_exit(server: Any, worker: Any) -> None:
    if _handle is not None:
        _handle.shutdown()
