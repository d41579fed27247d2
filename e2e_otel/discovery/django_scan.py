"""Child side of ``discover django``: walk the URLconf and describe every view.

Runs inside the project's interpreter after ``django.setup()`` (see
:mod:`e2e_otel.discovery.django_child_main`), with every database connection refused.
Views are instantiated with a request built by ``RequestFactory`` and an anonymous user, so
``get_serializer_class()`` / ``get_permissions()`` overrides that depend on the action or
method answer as they would at run time, without authenticating anyone.
"""

from __future__ import annotations

import inspect
import re
import runpy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

_FIELDS = runpy.run_path(str(Path(__file__).with_name("django_scan_fields.py")))
_REGEX = runpy.run_path(str(Path(__file__).with_name("django_regex.py")))
_ACCESS = runpy.run_path(str(Path(__file__).with_name("django_scan_access.py")))
dotted = _FIELDS["dotted"]
_METHOD_ORDER = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")
_POLICIES = (
    ("authentication", "authentication_classes", "get_authenticators"),
    ("permissions", "permission_classes", "get_permissions"),
    ("throttles", "throttle_classes", "get_throttles"),
)


def run(request: Mapping[str, Any]) -> dict[str, Any]:
    """The whole scan as JSON-able data (see django_models.discovery_from_json)."""
    import django
    from django.conf import settings
    from django.urls import get_resolver

    try:
        import rest_framework

        drf_version: str | None = rest_framework.VERSION
    except ImportError:
        drf_version = None
    warnings: list[str] = []
    try:
        patterns = get_resolver().url_patterns
    except Exception as exc:
        text = " ".join(str(exc).split())
        raise RuntimeError(
            f"importing {settings.ROOT_URLCONF}: {type(exc).__name__}: {text}"
        ) from exc
    endpoints: list[dict[str, Any]] = []
    serializer_classes: dict[str, type] = {}
    for pieces, pattern, name in _walk(patterns, [], [], warnings):
        params: dict[str, str] = {}
        template = "".join(_template(piece, params) for piece in pieces)
        if params.get("format") == "drf_format_suffix" or ".{format}" in template:
            continue  # DRF's format-suffix twin of an endpoint listed anyway
        endpoint = {
            "template": template,
            "route": "".join(str(piece) for piece in pieces),
            "name": name,
            "parameters": params,
            "regex": _regexes(pieces),
            **_view(pattern.callback, warnings, serializer_classes),
        }
        endpoints.append(endpoint)
    serializers: dict[str, Any] = {}
    if drf_version is not None:
        serializers = _FIELDS["describe_serializers"](serializer_classes.values(), warnings)
    return {
        "settings": request["settings"],
        "django_version": django.get_version(),
        "drf_version": drf_version,
        "endpoints": endpoints,
        "serializers": serializers,
        "warnings": warnings,
    }


def _walk(
    patterns: list[Any], prefix: list[Any], namespaces: list[str], warnings: list[str]
) -> Iterator[tuple[list[Any], Any, str | None]]:
    from django.urls import URLResolver

    for pattern in patterns:
        pieces = [*prefix, pattern.pattern]
        if isinstance(pattern, URLResolver):
            try:
                children = pattern.url_patterns
            except Exception as exc:
                warnings.append(f"include at {''.join(map(str, pieces))!r} failed: {exc}")
                continue
            inner = [*namespaces, pattern.namespace] if pattern.namespace else namespaces
            yield from _walk(children, pieces, inner, warnings)
        else:
            name = ":".join([*namespaces, pattern.name]) if pattern.name else None
            yield pieces, pattern, name


def _template(piece: Any, params: dict[str, str]) -> str:
    """``{name}`` for every parameter of one pattern piece; anchors and escapes dropped."""
    from django.urls.resolvers import RoutePattern

    text = str(piece)
    if isinstance(piece, RoutePattern):
        for match in _ROUTE_PARAM.finditer(text):
            params[match["name"]] = match["converter"] or "str"
        return _ROUTE_PARAM.sub(lambda m: "{" + m["name"] + "}", text)
    return str(_REGEX["regex_template"](text, params))


def _regexes(pieces: list[Any]) -> list[str]:
    """Each piece's regex as Django matches it (``search`` on what the previous one left),
    when one piece is a ``re_path()`` regex; empty otherwise, the template says it all."""
    from django.urls.resolvers import RegexPattern

    if not any(isinstance(piece, RegexPattern) for piece in pieces):
        return []
    return [piece.regex.pattern for piece in pieces]


def _view(callback: Any, warnings: list[str], serializers: dict[str, type]) -> dict[str, Any]:
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:
        name = getattr(callback, "__name__", type(callback).__name__)
        login_url = _ACCESS["function_login_url"](callback)
        operations = [
            {"method": m.upper(), "handler": name, "login_url": login_url}
            for m in _ordered(_function_methods(callback))
        ]
        return {"view": dotted(callback), "kind": "function", "operations": operations}
    actions = getattr(callback, "actions", None)
    initkwargs = getattr(callback, "initkwargs", None) or getattr(callback, "view_initkwargs", {})
    wrapped = _api_view_function(cls)
    if actions is not None:
        kind, handlers = "viewset", {m: a for m, a in actions.items() if hasattr(cls, a)}
    else:
        kind = "api_view" if wrapped else ("apiview" if _is_drf(cls) else "django")
        handlers = {m: m for m in cls.http_method_names if _handles(cls, m)}
    if kind != "django":  # DRF answers 405 before the handler for these
        refused = _ACCESS["refused_methods"](cls, initkwargs, list(handlers))
        handlers = {m: h for m, h in handlers.items() if m not in refused}
    implicit = [m for m in ("head", "options") if m not in handlers and _implicit(cls, m, handlers)]
    if not handlers and _own_dispatch(cls):
        # graphene-django's and strawberry's GraphQLView: dispatch() answers every method
        # itself, HEAD and OPTIONS included, with no handler method per HTTP method.
        handlers, implicit = {"*": "dispatch"}, []
    operations = []
    for method in _ordered(handlers):
        op: dict[str, Any] = {
            "method": method.upper(),
            "handler": handlers[method],
            "login_url": _ACCESS["class_login_url"](cls, handlers[method]),
        }
        if kind != "django":
            policy, serializer = _drf_policy(cls, initkwargs, actions, method, warnings)
            op.update(policy)
            if serializer is not None:
                serializers.setdefault(op["serializer"], serializer)
            handler = wrapped or getattr(cls, handlers[method])
            found = _FIELDS["handler_serializers"](handler, None if wrapped else cls)
            serializers.update((dotted(c), c) for c in found)
            op["handler_serializers"] = [dotted(c) for c in found if dotted(c) != op["serializer"]]
        operations.append(op)
    view = f"{cls.__module__}.{cls.__name__}" if wrapped else dotted(cls)
    return {
        "view": view,
        "kind": kind,
        "operations": operations,
        "implicit_methods": [m.upper() for m in implicit],
    }


def _function_methods(callback: Any) -> list[str]:
    """What ``require_http_methods`` (and ``require_GET`` ...) allow, found through other
    decorators (``@login_required`` above it); ``*`` otherwise."""
    current, seen = callback, set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        try:
            allowed = inspect.getclosurevars(current).nonlocals.get("request_method_list")
        except TypeError:  # not a Python function (a callable object, a builtin)
            allowed = None
        if allowed:
            return [str(m).lower() for m in allowed]
        current = getattr(current, "__wrapped__", None)
    return ["*"]


def _ordered(methods: Any) -> list[str]:
    rank = {m: i for i, m in enumerate(_METHOD_ORDER)}
    return sorted(methods, key=lambda m: (rank.get(m, len(rank)), m))


def _is_drf(cls: type) -> bool:
    try:
        from rest_framework.views import APIView
    except ImportError:
        return False
    return issubclass(cls, APIView)


def _api_view_function(cls: Any) -> Any:
    """The function behind ``@api_view`` (DRF wraps it in a generated APIView class)."""
    if "WrappedAPIView" not in cls.__qualname__:
        return None
    for method in cls.http_method_names:
        handler = cls.__dict__.get(method)
        if handler is not None:
            return inspect.getclosurevars(handler).nonlocals.get("func")
    return None


def _handles(cls: type, method: str) -> bool:
    """Defined by the view itself: Django's and DRF's base ``options`` answer for everyone."""
    handler = getattr(cls, method, None)
    if method != "options" or handler is None:
        return handler is not None
    return handler not in _stock(cls, "options")


def _own_dispatch(cls: Any) -> bool:
    """Whether ``dispatch`` is the view's own, not Django's or DRF's (which route to the
    handler methods), seen through decorators such as ``method_decorator(name="dispatch")``."""
    return inspect.unwrap(cls.dispatch) not in _stock(cls, "dispatch")


def _stock(cls: type, name: str) -> list[Any]:
    """Django's ``View`` method ``name``, and DRF's ``APIView`` one for a DRF view."""
    from django.views import View

    stock = [getattr(View, name)]
    if _is_drf(cls):
        from rest_framework.views import APIView

        stock.append(getattr(APIView, name))
    return stock


def _implicit(cls: Any, method: str, handlers: Mapping[str, str]) -> bool:
    if method == "head":
        return "get" in handlers and "head" in cls.http_method_names
    return "options" in cls.http_method_names and hasattr(cls, "options")


def _drf_policy(
    cls: type,
    initkwargs: Mapping[str, Any],
    actions: Mapping[str, str] | None,
    method: str,
    warnings: list[str],
) -> tuple[dict[str, Any], type | None]:
    """Effective authentication/permission/throttle classes and serializer of one operation."""
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory
    from rest_framework.views import APIView

    django_request = RequestFactory().generic(method.upper(), "/")
    django_request.user = AnonymousUser()
    view = cls(**initkwargs)
    if actions is not None:
        view.action_map = dict(actions)
    view.args, view.kwargs, view.format_kwarg = (), {}, None
    try:
        view.request = view.initialize_request(django_request)  # calls get_authenticators()
    except Exception:  # reported below, where get_authenticators() fails again
        from rest_framework.request import Request

        view.request = Request(django_request)
    out: dict[str, Any] = {"from_settings": [], "anonymous": None, "object_checks": False}
    for key, attribute, getter in _POLICIES:
        try:
            instances = getattr(view, getter)()
            out[key] = [_describe(obj) for obj in instances]
            if key == "permissions":
                out["anonymous"] = _lets_anonymous(view, instances)
                out["object_checks"] = _checks_objects(instances)
        except Exception as exc:
            # An override that needs a real user (request.user.role) or a query: the classes
            # the view declares are what the base getter would give; the warning says so.
            out[key] = [_declared(policy) for policy in getattr(view, attribute, ()) or ()]
            _warn_once(
                warnings,
                f"{dotted(cls)}.{getter}() failed on an anonymous request ({_error(exc)}); "
                f"listing its {attribute} instead",
            )
        inherited = getattr(view, attribute) is getattr(APIView, attribute)
        if inherited and getattr(cls, getter) is getattr(APIView, getter):
            out["from_settings"].append(key)
    serializer = None
    if getattr(view, "get_serializer_class", None) is not None:
        try:
            serializer = view.get_serializer_class()
        except Exception as exc:
            # GenericAPIView's own asserts when there is no serializer_class: nothing to say.
            # An override that needs a real user (request.user.role) or URL kwargs is.
            own = getattr(cls, "get_serializer_class", None) is not _generic_get_serializer_class()
            if own or getattr(view, "serializer_class", None) is not None:
                _warn_once(
                    warnings,
                    f"{dotted(cls)}.get_serializer_class() failed on an anonymous request "
                    f"({_error(exc)}); no serializer listed",
                )
    out["serializer"] = dotted(serializer) if serializer is not None else None
    return out, serializer


def _lets_anonymous(view: Any, permissions: Any) -> bool | None:
    """Whether every permission's ``has_permission()`` lets this anonymous request through
    (a signup that lets anonymous users create), or one refuses it; None when a check raised
    (it needed a real user or a query)."""
    try:
        return all(bool(p.has_permission(view.request, view)) for p in permissions)
    except Exception:
        return None


def _checks_objects(permissions: Any) -> bool:
    """Whether a permission checks objects too (its own ``has_object_permission``, which DRF
    asks only when the handler fetches one: a detail route)."""
    from rest_framework.permissions import BasePermission

    stock = BasePermission.has_object_permission
    return any(type(p).has_object_permission is not stock for p in permissions)


def _generic_get_serializer_class() -> Any:
    from rest_framework.generics import GenericAPIView

    return GenericAPIView.get_serializer_class


def _warn_once(warnings: list[str], warning: str) -> None:
    """A view's failing getter fails for each of its methods and routes: said once."""
    if warning not in warnings:
        warnings.append(warning)


def _error(exc: Exception) -> str:
    """One line for a warning; a refused query is named as such (the refusal's own text
    is about import time, and the place comes in its own warning)."""
    if type(exc).__name__ == "DatabaseAccessBlocked":
        return "it queried the database, refused"
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def _declared(policy: Any) -> str:
    """A class of ``permission_classes`` & co. as :func:`_describe` names its instance."""
    try:
        return _describe(policy())
    except Exception:
        return str(dotted(policy))


def _describe(policy: Any) -> str:
    """Dotted class; DRF's composed permissions (``A & B``, ``A | B``, ``~A``) spelled out."""
    kind = type(policy).__name__
    if kind in {"AND", "OR"} and hasattr(policy, "op1"):
        joiner = " & " if kind == "AND" else " | "
        return f"({_describe(policy.op1)}{joiner}{_describe(policy.op2)})"
    if kind == "NOT" and hasattr(policy, "op1"):
        return f"~{_describe(policy.op1)}"
    return str(dotted(policy))
