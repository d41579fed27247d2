"""Child side of ``discover django``: what a view does with a request before its handler runs.

Loaded by :mod:`e2e_otel.discovery.django_scan` with ``runpy`` inside the project's
interpreter (never imported by e2e-otel itself). Two questions:

- which login page an anonymous request is redirected to: ``@login_required`` and every
  ``user_passes_test`` decorator (on a function, or through ``method_decorator`` on a class's
  ``dispatch`` or handler), and Django's ``LoginRequiredMixin`` / ``AccessMixin`` family
  unless ``raise_exception`` is set (then it is a 403, no redirect);
- whether DRF refuses a method before the handler: a ViewSet route whose ``http_method_names``
  excludes it, or a permission class whose ``perms_map`` (``DjangoModelPermissions``) has no
  entry for it (``MethodNotAllowed`` for any authenticated user).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any


def function_login_url(view: Any) -> str | None:
    """The login page a ``user_passes_test`` decorator somewhere on ``view`` redirects an
    anonymous request to (resolved as Django resolves it), or None."""
    seen: set[int] = set()
    current = view
    while callable(current) and id(current) not in seen:
        seen.add(id(current))
        nonlocals = _nonlocals(current)
        if "test_func" in nonlocals and (
            "_redirect_to_login" in nonlocals or "redirect_field_name" in nonlocals
        ):
            # Django >= 5.0 keeps login_url on the wrapper; 4.2 closes over it.
            return _resolve(getattr(current, "login_url", nonlocals.get("login_url")))
        for decorator in nonlocals.get("decorators", ()) or ():  # method_decorator
            url = _decorator_login_url(decorator)
            if url is not None:
                return url
        current = getattr(current, "__wrapped__", None)
    return None


def class_login_url(cls: Any, handler: str) -> str | None:
    """The login page the class view redirects an anonymous request for ``handler`` to."""
    from django.contrib.auth.mixins import (
        LoginRequiredMixin,
        PermissionRequiredMixin,
        UserPassesTestMixin,
    )

    # The mixins whose dispatch refuses an anonymous request; a class that only inherits
    # AccessMixin for its helpers (handle_no_permission) checks nothing by itself.
    guards = (LoginRequiredMixin, PermissionRequiredMixin, UserPassesTestMixin)
    if isinstance(cls, type) and issubclass(cls, guards):
        if getattr(cls, "raise_exception", False):
            return None  # a 403 for everyone the test refuses, no redirect
        return _resolve(getattr(cls, "login_url", None))
    for name in ("dispatch", handler):
        method = getattr(cls, name, None)
        url = function_login_url(method) if method is not None else None
        if url is not None:
            return url
    return None


def refused_methods(cls: Any, initkwargs: Mapping[str, Any], methods: list[str]) -> set[str]:
    """Of ``methods`` (lower case), those DRF answers 405 whatever the handler: not in the
    view's ``http_method_names``, or missing from a ``perms_map`` of its permission classes
    (checked as instantiated by ``get_permissions()`` on the class defaults)."""
    allowed = initkwargs.get("http_method_names", getattr(cls, "http_method_names", ()))
    refused = {m for m in methods if m not in allowed}
    for permission in _permission_instances(cls, initkwargs):
        perms_map = getattr(permission, "perms_map", None)
        if isinstance(perms_map, Mapping):
            refused |= {m for m in methods if m.upper() not in perms_map}
    return refused


def _permission_instances(cls: Any, initkwargs: Mapping[str, Any]) -> list[Any]:
    classes = initkwargs.get("permission_classes", getattr(cls, "permission_classes", ()))
    out = []
    for permission in classes or ():
        try:
            out.append(permission())
        except Exception:
            continue
    return out


def _decorator_login_url(decorator: Any) -> str | None:
    from django.contrib.auth.decorators import login_required

    if decorator is login_required:
        return _resolve(None)
    nonlocals = _nonlocals(decorator)
    if "test_func" in nonlocals:
        return _resolve(nonlocals.get("login_url"))
    return None


def _nonlocals(function: Any) -> Mapping[str, Any]:
    try:
        return inspect.getclosurevars(function).nonlocals
    except (TypeError, ValueError):  # not a Python function (a class, a builtin)
        return {}


def _resolve(login_url: Any) -> str:
    from django.conf import settings
    from django.shortcuts import resolve_url

    try:
        return str(resolve_url(login_url or settings.LOGIN_URL))
    except Exception:
        return str(login_url or settings.LOGIN_URL)
