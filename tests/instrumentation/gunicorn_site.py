"""Settings and URLconf of a one-view Django site for the gunicorn test (no database)."""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse
from django.urls import path

SECRET_KEY = "test"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = __name__
DATABASES: dict[str, object] = {}
USE_TZ = True


def _ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(os.getpid()))


urlpatterns = [path("api/ping/", _ping)]
