"""Demo shop settings; everything deployment-specific comes from SHOP_* env vars."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from shop_project import dbdriver

BASE_DIR = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


SECRET_KEY = _env("SHOP_SECRET_KEY", "dev-only-insecure-key-e2e-otel-shop-do-not-deploy")
DEBUG = _env("SHOP_DEBUG", "0").lower() in {"1", "true", "yes", "on"}
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "rest_framework",
    "shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

# CORS for a browser frontend on another origin (the demo storefront, examples/shop-web):
# SHOP_CORS_ORIGINS is a comma-separated list of origins, e.g. "http://127.0.0.1:3000". Empty
# (the default) leaves django-cors-headers out entirely. The browser may then send the trace
# and workflow headers, and read the correlation id and traceresponse of the answer.
CORS_ALLOWED_ORIGINS = [o.strip() for o in _env("SHOP_CORS_ORIGINS", "").split(",") if o.strip()]
if CORS_ALLOWED_ORIGINS:
    from corsheaders.defaults import default_headers

    INSTALLED_APPS.append("corsheaders")
    # As high as possible: CORS headers go on every answer, errors and preflights included.
    MIDDLEWARE.insert(0, "corsheaders.middleware.CorsMiddleware")
    CORS_ALLOW_HEADERS = (
        *default_headers,
        "traceparent",
        "tracestate",
        "baggage",
        "x-correlation-id",
        "x-workflow-type",
    )
    CORS_EXPOSE_HEADERS = ["x-correlation-id", "traceresponse"]

ROOT_URLCONF = "shop_project.urls"
WSGI_APPLICATION = "shop_project.wsgi.application"

DB_HOST = _env("SHOP_DB_HOST", "127.0.0.1")
# MySQL/MariaDB is the shop's database. SHOP_DB_ENGINE=sqlite (with SHOP_DB_PATH) is the opt-in
# used by `e2e-otel demo`, which must run with no database server at all.
DB_ENGINE = _env("SHOP_DB_ENGINE", "mysql").lower()
if DB_ENGINE not in {"mysql", "sqlite"}:
    raise ImproperlyConfigured(
        f"SHOP_DB_ENGINE={DB_ENGINE!r} is not supported; use mysql or sqlite"
    )
DRIVER_OPTIONS = (
    {} if DB_ENGINE == "sqlite" else dbdriver.install(_env("SHOP_DB_DRIVER", "pymysql"), DB_HOST)
)

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.mysql",
        "HOST": DB_HOST,
        "PORT": _env("SHOP_DB_PORT", "33306"),
        "NAME": _env("SHOP_DB_NAME", "shop"),
        "USER": _env("SHOP_DB_USER", "shop"),
        "PASSWORD": _env("SHOP_DB_PASSWORD", "shop"),
        "OPTIONS": {"charset": "utf8mb4", **DRIVER_OPTIONS},
        # scripts/mariadb.sh grants the shop user rights on exactly this test database.
        "TEST": {"NAME": "test_shop"},
    }
}
if DB_ENGINE == "sqlite":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _env("SHOP_DB_PATH", str(BASE_DIR / "shop.sqlite3")),
        }
    }

# Products listed by GET api/products/with-reviews/, the deliberate N+1 (one reviews query per
# product). `e2e-otel demo` lists 1500: a SQLite query in-process is so cheap that only a long
# loop passes the N+1 rule's default total of 50 ms.
_REVIEWS_PAGE_SIZE = _env("SHOP_REVIEWS_PAGE_SIZE", "20")
if not _REVIEWS_PAGE_SIZE.isdigit() or int(_REVIEWS_PAGE_SIZE) < 1:
    raise ImproperlyConfigured(
        f"SHOP_REVIEWS_PAGE_SIZE={_REVIEWS_PAGE_SIZE!r} is not a positive whole number"
    )
REVIEWS_PAGE_SIZE = int(_REVIEWS_PAGE_SIZE)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"

REST_FRAMEWORK = {
    # JWT first: its WWW-Authenticate header is what makes DRF answer 401 (not 403)
    # to anonymous requests on protected endpoints.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # JSON only: the browsable API would need templates and static files.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
}

# Django only prints unhandled-exception tracebacks when DEBUG is on; the demo's 500s
# are deliberate, so show them on the console either way.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
