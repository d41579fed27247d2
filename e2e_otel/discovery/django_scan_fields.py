"""Child side of ``discover django``: serializer field schemas, and the serializers a handler's
code instantiates. Loaded by :mod:`e2e_otel.discovery.django_scan` with ``runpy`` inside the
project's interpreter (stdlib only at import; DRF is imported by the caller first).

Nothing here may touch the database: related fields' ``choices`` would evaluate their
queryset, so only plain ``ChoiceField`` choices are read, and a related field reports the
model of its queryset instead.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Iterable, Iterator
from typing import Any

_OPTIONS = (
    "max_length",
    "min_length",
    "max_value",
    "min_value",
    "max_digits",
    "decimal_places",
    "allow_blank",
    "allow_empty",
    "format",
)
# How deep the handler scan follows calls into helper functions of the view's module.
_HELPER_DEPTH = 2


def dotted(obj: Any) -> str:
    """``module.QualName`` of a class or function (of an instance's class otherwise)."""
    target = obj if inspect.isclass(obj) or inspect.isroutine(obj) else type(obj)
    return f"{target.__module__}.{target.__qualname__}"


def describe_serializers(classes: Iterable[type], warnings: list[str]) -> dict[str, Any]:
    """Schemas of ``classes`` and of every serializer nested in them, keyed by dotted name."""
    out: dict[str, Any] = {}
    pending = list(classes)
    while pending:
        cls = pending.pop()
        name = dotted(cls)
        if name in out:
            continue
        try:
            fields = cls().fields
            described = [_field(n, f, pending) for n, f in fields.items()]
            out[name] = {"name": name, "model": _model(cls), "fields": described}
        except Exception as exc:  # a serializer that needs arguments or a request
            error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
            warnings.append(f"serializer {name}: fields not readable: {error}")
            out[name] = {"name": name, "model": _model(cls), "fields": [], "error": error}
    return out


def _model(cls: type) -> str | None:
    model = getattr(getattr(cls, "Meta", None), "model", None)
    return dotted(model) if model is not None else None


def _field(name: str, field: Any, pending: list[type]) -> dict[str, Any]:
    from rest_framework import serializers
    from rest_framework.fields import empty

    out: dict[str, Any] = {
        "name": name,
        "type": type(field).__name__,
        "required": bool(field.required),
        "read_only": bool(field.read_only),
        "write_only": bool(field.write_only),
        "allow_null": bool(getattr(field, "allow_null", False)),
        "source": field.source,
    }
    options = {k: getattr(field, k) for k in _OPTIONS if getattr(field, k, None) is not None}
    if field.default is not empty:
        default = field.default
        options["default"] = dotted(default) if callable(default) else default
    queryset = getattr(field, "queryset", None)
    if queryset is not None:  # .model only: evaluating the queryset would query
        options["related_model"] = dotted(queryset.model)
    out["options"] = options
    if isinstance(field, serializers.ChoiceField):
        out["choices"] = [str(key) for key in field.choices]
    out["validators"] = [dotted(v) for v in field.validators]
    if isinstance(field, serializers.ListSerializer):
        out["many"] = True
        field = field.child
    if isinstance(field, serializers.BaseSerializer):
        pending.append(type(field))
        out["nested"] = dotted(type(field))
    elif isinstance(field, (serializers.ListField, serializers.DictField)):
        out["many"] = isinstance(field, serializers.ListField)
        out["child"] = _field("*", field.child, pending)
    return out


def handler_serializers(handler: Callable[..., Any], owner: type | None = None) -> list[type]:
    """Serializer classes that ``handler`` (or a helper it calls) instantiates or hands on.

    Read from the source, not run: ``LoginSerializer(data=request.data)`` in a ``post`` names
    the request body's schema even though the view declares no ``serializer_class``. With
    ``owner`` (the view class) ``self.InputSerializer(...)`` and ``self.helper(...)`` resolve
    through it; helpers are followed when defined in the handler's module.
    """
    from rest_framework.serializers import BaseSerializer

    found: dict[str, type] = {}
    for obj in _called(inspect.unwrap(handler), owner, _HELPER_DEPTH, set()):
        if inspect.isclass(obj) and issubclass(obj, BaseSerializer):
            found.setdefault(dotted(obj), obj)
    return list(found.values())


def _called(function: Any, owner: type | None, depth: int, seen: set[int]) -> Iterator[Any]:
    """Objects the function's code calls by name, and classes it passes to a call
    (``paginate(serializer_class=self.OutputSerializer)``); same-module helpers followed."""
    if id(function) in seen or not inspect.isfunction(function):
        return
    seen.add(id(function))
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):  # built without source (exec, C, ...)
        return
    namespace = {**function.__globals__, **inspect.getclosurevars(function).nonlocals}
    if owner is not None and tree.body and isinstance(tree.body[0], ast.FunctionDef):
        arguments = tree.body[0].args
        first = [*arguments.posonlyargs, *arguments.args][:1]
        if first:  # self (or cls): the view class stands for the instance
            namespace[first[0].arg] = owner
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            passed = _resolve(argument, namespace)
            if inspect.isclass(passed):
                yield passed
        obj = _resolve(node.func, namespace)
        if obj is None:
            continue
        yield obj
        same_module = getattr(obj, "__module__", None) == function.__module__
        if depth > 0 and inspect.isfunction(obj) and same_module:
            # self.helper(...) / Api.helper(...): the helper's own self is that class.
            holder = (
                _resolve(node.func.value, namespace)
                if isinstance(node.func, ast.Attribute)
                else None
            )
            yield from _called(obj, holder if inspect.isclass(holder) else None, depth - 1, seen)


def _resolve(node: ast.expr, namespace: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, namespace)
        if inspect.ismodule(owner):
            return getattr(owner, node.attr, None)
        if inspect.isclass(owner):  # a nested class or a method; no descriptor is run
            try:
                found = inspect.getattr_static(owner, node.attr)
            except AttributeError:
                return None
            return getattr(found, "__func__", found)  # staticmethod / classmethod
    return None
