#!/usr/bin/env python
"""Django's command-line utility for the e2e-otel demo shop."""

from __future__ import annotations

import os
import sys

# Tracing must be configured before Django (and the DB driver) is imported so the
# instrumentors can patch them, and after DJANGO_SETTINGS_MODULE is known: the Django
# instrumentation reads settings.MIDDLEWARE.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop_project.settings")
if os.environ.get("SHOP_E2E_OTEL_CONFIGURE") == "1":
    import e2e_otel

    e2e_otel.configure(service_name=os.environ.get("OTEL_SERVICE_NAME", "shop-api"))


def main() -> None:
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
