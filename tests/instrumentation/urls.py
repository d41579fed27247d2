"""URLconf for the Django hook tests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path, re_path


def _view(request: HttpRequest, pk: int = 0) -> HttpResponse:
    return HttpResponse("ok")


# Regex routes the way routers generate them (list, detail, format suffix), under include().
_router_style = [
    re_path(r"^orders/$", _view),
    re_path(r"^orders\.(?P<format>[a-z0-9]+)/?$", _view),
    re_path(r"^orders/(?P<pk>[^/.]+)/$", _view),
    re_path(r"^orders/(?P<pk>[^/.]+)/cancel/?$", _view),
]

urlpatterns = [
    path("api/products/<int:pk>/", _view),
    path("api/checkout/", _view),
    path("api/v2/", include(_router_style)),
]
