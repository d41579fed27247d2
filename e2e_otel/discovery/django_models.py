"""What ``e2e-otel discover django`` finds: endpoints, their operations and serializer schemas.

Built from the child scanner's JSON by :func:`discovery_from_json`; :func:`discovery_to_json`
is its inverse, so the ``--json`` file reads back into the same objects.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

#: ``apiview``: DRF APIView/generic view; ``viewset``: a ViewSet routed with its actions;
#: ``api_view``: a function under ``@api_view``; ``django``: a Django class-based view;
#: ``function``: any other callable (its methods are unknown unless a decorator says).
ViewKind = Literal["apiview", "viewset", "api_view", "django", "function"]
ANY_METHOD = "*"


@dataclass(frozen=True)
class FieldSchema:
    """One serializer field as DRF sees it (after ModelSerializer built it from the model)."""

    name: str
    type: str  # DRF field class, e.g. "CharField", "PrimaryKeyRelatedField"
    required: bool
    read_only: bool
    write_only: bool
    allow_null: bool
    source: str  # attribute read, e.g. "product.sku"; "*" for the whole object
    # Constraints DRF enforces: max_length, min_length, max_value, min_value, max_digits,
    # decimal_places, allow_blank, default, format, ...
    options: Mapping[str, Any] = field(default_factory=dict)
    choices: tuple[str, ...] = ()
    validators: tuple[str, ...] = ()  # validator classes/functions, dotted
    many: bool = False  # a list of ``nested`` (or of ``child``)
    nested: str | None = None  # dotted serializer class, described in ``serializers``
    child: FieldSchema | None = None  # ListField/DictField item


@dataclass(frozen=True)
class SerializerSchema:
    """A serializer class and its fields, in declaration order."""

    name: str  # dotted class
    model: str | None  # dotted model of a ModelSerializer
    fields: tuple[FieldSchema, ...]
    error: str | None = None  # why the fields could not be read, if so

    def field(self, name: str) -> FieldSchema:
        """The field called ``name`` (KeyError if none)."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(f"{self.name} has no field {name!r}")


@dataclass(frozen=True)
class Operation:
    """One HTTP method of an endpoint with the policy DRF applies to it."""

    method: str  # GET, POST, ...; "*": a plain function or a view's own dispatch() takes any
    handler: str  # the method or viewset action run, e.g. "get", "list", "publish"
    serializer: str | None = None  # get_serializer_class() / serializer_class, dotted
    # Serializers the handler's own code instantiates (APIViews without serializer_class).
    handler_serializers: tuple[str, ...] = ()
    authentication: tuple[str, ...] = ()  # dotted classes, in the order DRF tries them
    permissions: tuple[str, ...] = ()
    throttles: tuple[str, ...] = ()
    # Which of "authentication", "permissions", "throttles" come from REST_FRAMEWORK defaults.
    from_settings: tuple[str, ...] = ()
    # The login page an anonymous request is redirected to (302): ``@login_required`` and
    # other ``user_passes_test`` decorators, ``LoginRequiredMixin``; None when there is none.
    login_url: str | None = None
    # Whether every permission's has_permission() lets an anonymous request of this method
    # through, asked of the classes themselves; None when that is not known (a check raised).
    anonymous: bool | None = None
    # Whether a permission checks objects too (has_object_permission): a detail route may still
    # refuse an anonymous request that has_permission() let through.
    object_checks: bool = False


@dataclass(frozen=True)
class DjangoEndpoint:
    """One URL pattern and the view behind it."""

    template: str  # normalized, e.g. "api/products/{pk}/"
    route: str  # the raw pattern joined across includes, e.g. "api/products/<int:pk>/"
    name: str | None  # URL name with namespaces, e.g. "admin:index"
    view: str  # dotted class (or function)
    kind: ViewKind
    parameters: Mapping[str, str]  # path parameter -> converter ("int") or regex
    operations: tuple[Operation, ...]
    # Answered without a handler of the view's own (HEAD from GET, OPTIONS metadata).
    implicit_methods: tuple[str, ...] = ()
    # When a piece is a re_path() regex: each piece's regex as Django compiles it, across
    # include()s (path() pieces too, converters as regexes). Empty for path()-only routes,
    # which the template and converters describe exactly.
    regex: tuple[str, ...] = ()

    @property
    def methods(self) -> tuple[str, ...]:
        """The methods the view handles itself, in the order declared."""
        return tuple(op.method for op in self.operations)

    def operation(self, method: str) -> Operation:
        """The operation for ``method`` (KeyError if the view does not handle it)."""
        for op in self.operations:
            if op.method == method.upper():
                return op
        raise KeyError(f"{self.template} does not handle {method}")


@dataclass(frozen=True)
class DjangoDiscovery:
    """Everything a scan found."""

    settings: str
    django_version: str
    drf_version: str | None
    endpoints: tuple[DjangoEndpoint, ...]
    serializers: Mapping[str, SerializerSchema]  # dotted name -> schema, nested ones included
    # Problems that did not stop the scan (a view whose serializer could not be resolved,
    # import-time code that tried to reach the database, ...).
    warnings: tuple[str, ...] = ()

    def endpoint(self, template: str) -> DjangoEndpoint:
        """The endpoint with this template (KeyError if none)."""
        for candidate in self.endpoints:
            if candidate.template == template:
                return candidate
        raise KeyError(f"no endpoint {template!r}")


def discovery_to_json(discovery: DjangoDiscovery) -> dict[str, Any]:
    """Plain JSON-able dict (what ``--json`` writes)."""
    return dataclasses.asdict(discovery)


def discovery_from_json(data: Mapping[str, Any]) -> DjangoDiscovery:
    """The typed form of the scanner's (or :func:`discovery_to_json`'s) output."""
    return DjangoDiscovery(
        settings=str(data["settings"]),
        django_version=str(data["django_version"]),
        drf_version=data.get("drf_version"),
        endpoints=tuple(_endpoint(e) for e in data["endpoints"]),
        serializers={k: _serializer(v) for k, v in data["serializers"].items()},
        warnings=tuple(data.get("warnings", ())),
    )


def _endpoint(data: Mapping[str, Any]) -> DjangoEndpoint:
    return DjangoEndpoint(
        template=data["template"],
        route=data["route"],
        name=data.get("name"),
        view=data["view"],
        kind=data["kind"],
        parameters=dict(data.get("parameters", {})),
        operations=tuple(_operation(o) for o in data["operations"]),
        implicit_methods=tuple(data.get("implicit_methods", ())),
        regex=tuple(data.get("regex", ())),
    )


def _operation(data: Mapping[str, Any]) -> Operation:
    return Operation(
        method=data["method"],
        handler=data["handler"],
        serializer=data.get("serializer"),
        handler_serializers=tuple(data.get("handler_serializers", ())),
        authentication=tuple(data.get("authentication", ())),
        permissions=tuple(data.get("permissions", ())),
        throttles=tuple(data.get("throttles", ())),
        from_settings=tuple(data.get("from_settings", ())),
        login_url=data.get("login_url"),
        anonymous=data.get("anonymous"),
        object_checks=bool(data.get("object_checks", False)),
    )


def _serializer(data: Mapping[str, Any]) -> SerializerSchema:
    return SerializerSchema(
        name=data["name"],
        model=data.get("model"),
        fields=tuple(_field(f) for f in data["fields"]),
        error=data.get("error"),
    )


def _field(data: Mapping[str, Any]) -> FieldSchema:
    child = data.get("child")
    return FieldSchema(
        name=data["name"],
        type=data["type"],
        required=bool(data["required"]),
        read_only=bool(data["read_only"]),
        write_only=bool(data["write_only"]),
        allow_null=bool(data["allow_null"]),
        source=data["source"],
        options=dict(data.get("options", {})),
        choices=tuple(str(c) for c in data.get("choices", ())),
        validators=tuple(data.get("validators", ())),
        many=bool(data.get("many", False)),
        nested=data.get("nested"),
        child=_field(child) if child else None,
    )
