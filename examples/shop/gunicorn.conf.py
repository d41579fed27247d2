"""gunicorn settings for a traced Django app: ``gunicorn -c gunicorn.conf.py shop_project.wsgi``.

Tracing is set up in each worker after the fork (``post_fork``): the SDK's export thread does
not survive a fork, and the Django instrumentation must be in place before the worker loads the
WSGI application. ``worker_exit`` flushes the worker's queued spans within the shutdown budget
(``E2E_OTEL_SHUTDOWN_TIMEOUT``) when gunicorn stops or recycles it (SIGTERM, ``--max-requests``).
gunicorn handles SIGTERM itself, so e2e-otel leaves its handler alone.
"""

from __future__ import annotations

import os
from typing import Any

import e2e_otel

wsgi_app = "shop_project.wsgi"
bind = os.environ.get("SHOP_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("SHOP_WORKERS", "2"))

_handle: e2e_otel.Handle | None = None


def post_fork(server: Any, worker: Any) -> None:
    global _handle
    _handle = e2e_otel.configure(service_name=os.environ.get("OTEL_SERVICE_NAME", "shop-api"))


def worker_exit(server: Any, worker: Any) -> None:
    if _handle is not None:
        _handle.shutdown()
