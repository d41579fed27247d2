"""URLconf for the Django hook tests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path


def _view(request: HttpRequest, pk: int = 0) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    path("api/products/<int:pk>/", _view),
    path("api/checkout/", _view),
]
