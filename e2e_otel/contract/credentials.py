"""Which endpoints need credentials, and which calls to them go without.

An operation is *authenticated* when one of its effective permission classes (the view's own,
else ``REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]``: discovery already applied the
defaults) can refuse an anonymous request. ``AllowAny`` never does; an empty list (a view
with ``permission_classes = ()``, like simplejwt's token views) lets anyone in; the
``...OrReadOnly`` / ``...OrAnonReadOnly`` classes let anonymous reads (GET, HEAD, OPTIONS)
through. Any other class, custom ones included, counts as requiring a user, since DRF
checks every class and one refusal is enough, unless discovery asked the classes themselves
and every ``has_permission()`` let the anonymous request through (``Operation.anonymous``: a
custom class that lets anonymous users sign up), with no object check that could still refuse
it (no class overrides ``has_object_permission``, or the route names no object).

A call *goes without credentials* when its URL has a base (is cross-origin, or runs on the
server) and either the scanner saw its options send neither cookies nor an Authorization
header (``credentials`` False) or could not read them (None): ``fetch`` sends cookies
cross-origin only with ``credentials: "include"``, axios only with ``withCredentials``, and
server-side code sends nothing it is not given. A relative URL is never flagged: only a
browser can fetch one (Node's fetch needs an absolute URL), and a browser sends same-origin
cookies by default.
"""

from __future__ import annotations

from e2e_otel.discovery.django_models import ANY_METHOD, DjangoEndpoint, Operation
from e2e_otel.discovery.nextjs_models import ApiCall

ALLOW_ANY = "rest_framework.permissions.AllowAny"
ANONYMOUS_READS = frozenset(
    {
        "rest_framework.permissions.IsAuthenticatedOrReadOnly",
        "rest_framework.permissions.DjangoModelPermissionsOrAnonReadOnly",
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def operation_for(endpoint: DjangoEndpoint, method: str) -> Operation | None:
    """The operation that serves ``method``: its own, GET's for an implied HEAD, the
    any-method one of a plain function view; None when there is none."""
    by_method = {op.method: op for op in endpoint.operations}
    wanted = method.upper()
    return (
        by_method.get(wanted)
        or (by_method.get("GET") if wanted == "HEAD" else None)
        or by_method.get(ANY_METHOD)
    )


def refusing_permissions(endpoint: DjangoEndpoint, method: str) -> tuple[str, ...]:
    """The permission classes of ``method`` on ``endpoint`` that refuse anonymous requests
    (empty: anyone may call it)."""
    operation = operation_for(endpoint, method)
    if operation is None or _lets_anonymous(endpoint, operation):
        return ()
    safe = method.upper() in SAFE_METHODS
    return tuple(
        cls
        for cls in operation.permissions
        if cls != ALLOW_ANY and not (safe and cls in ANONYMOUS_READS)
    )


def _lets_anonymous(endpoint: DjangoEndpoint, operation: Operation) -> bool:
    """Discovery asked the permissions and each let the anonymous request through, and no
    object check can refuse it later: none checks objects, or the route names no object."""
    if operation.anonymous is not True:
        return False
    return not operation.object_checks or not endpoint.parameters


def sends_no_credentials(call: ApiCall) -> bool:
    """Whether the call reaches a cross-origin API anonymously (see the module docstring)."""
    return call.url.base is not None and not call.credentials


def missing_credentials(call: ApiCall, endpoint: DjangoEndpoint, method: str) -> str | None:
    """Why the call would be refused for want of credentials, or None when it is fine."""
    refusing = refusing_permissions(endpoint, method)
    if not refusing or not sends_no_credentials(call):
        return None
    names = ", ".join(cls.rpartition(".")[2] for cls in refusing)
    how = (
        "its options send no cookies or Authorization header"
        if call.credentials is False
        else "its options cannot be read and a cross-origin request carries no cookies "
        "without credentials: 'include' / withCredentials"
    )
    return f"{names} refuses anonymous requests; {how}"
