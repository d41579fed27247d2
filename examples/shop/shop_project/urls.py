"""Root URLconf: the whole API lives under /api/ (routes resolve to e.g. `api/cart/items/`)."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [path("api/", include("shop.urls"))]

# Unhandled exceptions answer JSON like the rest of the API instead of Django's HTML page.
handler500 = "rest_framework.exceptions.server_error"
