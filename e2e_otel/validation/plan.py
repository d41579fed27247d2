"""Which requests a run sends: the default safe plan from discovery, then the file's requests.

The default plan only ever reads: one GET (HEAD if the view has no GET) per discovered
endpoint, parameterized ones only when the requests file gives their values. A page behind
``@login_required`` is expected to redirect an anonymous caller to its login page, and is
read again logged in (session) when the file configures a session login. Unsafe methods
are sent only when the file lists them. A view that takes any method (a plain function, or a
class answering in its own ``dispatch()``, like a GraphQL endpoint) may well refuse a bare GET
with 400 or 405: its check only asks that it answers, without a server error or a 404.
"""

from __future__ import annotations

from dataclasses import replace

from e2e_otel.discovery.django_models import ANY_METHOD, DjangoDiscovery, DjangoEndpoint, Operation
from e2e_otel.validation.models import AuthMode, AuthSettings, Plan, TestRequest
from e2e_otel.validation.requests_yaml import RequestsFile, RequestsFileError, fill_path

_PERMISSIONS = "rest_framework.permissions."
# Anyone may read.
_OPEN = frozenset(
    _PERMISSIONS + name
    for name in ("AllowAny", "IsAuthenticatedOrReadOnly", "DjangoModelPermissionsOrAnonReadOnly")
)
# A logged-in user may read; anonymous callers get 401/403.
_LOGGED_IN = frozenset({_PERMISSIONS + "IsAuthenticated"})
# Anonymous callers get 401/403; whether the demo user may pass is the project's business.
_PRIVILEGED = frozenset(
    _PERMISSIONS + name
    for name in ("IsAdminUser", "DjangoModelPermissions", "DjangoObjectPermissions")
)
OK = (200,)
DENIED = (401, 403)
UNKNOWN = (200, 401, 403)
#: What Django's login_required answers an anonymous request: a redirect to the login page.
LOGIN_REDIRECT = (302,)
# DRF's own authentication classes; any other is the project's (a custom header, say).
_DRF_AUTHENTICATION = frozenset(
    "rest_framework.authentication." + name
    for name in (
        "BasicAuthentication",
        "SessionAuthentication",
        "TokenAuthentication",
        "RemoteUserAuthentication",
    )
)
#: A view of unknown methods answered a GET: anything but a server error or a 404.
ANSWERED = (200, 204, 301, 302, 304, 400, 401, 403, 405)


def build_plan(discovery: DjangoDiscovery, requests: RequestsFile | None = None) -> Plan:
    """The default plan for ``discovery`` plus ``requests``' own requests, in that order.

    Raises :class:`RequestsFileError` when the file gives values for an endpoint that was not
    discovered, or path values that do not match the endpoint's parameters.
    """
    requests = requests or RequestsFile(source="<none>")
    templates = {endpoint.template for endpoint in discovery.endpoints}
    for template in requests.endpoints:
        if template not in templates:
            raise RequestsFileError(
                requests.source, f"endpoints.{template}", "no such endpoint was discovered"
            )
    planned: list[TestRequest] = []
    protected: TestRequest | None = None
    for endpoint in discovery.endpoints:
        for request in _endpoint_checks(endpoint, requests):
            planned.append(request)
            if protected is None and request.expected_status == DENIED:
                protected = request
    auth = requests.auth
    if auth is not None and auth.signing_key is not None and protected is not None:
        planned.append(
            replace(
                protected,
                name=f"{protected.method} {protected.template} (expired token)",
                expected_status=(401,),
                auth="expired_jwt",
            )
        )
    return Plan(requests=(*planned, *requests.requests), auth=auth)


def _endpoint_checks(endpoint: DjangoEndpoint, requests: RequestsFile) -> list[TestRequest]:
    values = requests.endpoints.get(endpoint.template)
    if values is not None and values.skip:
        return []
    operation = _safe_operation(endpoint)
    if operation is None:
        return []
    if endpoint.parameters and values is None:
        return []  # no values to fill in: the file must give them
    key = f"endpoints.{endpoint.template}.path_params"
    given = values.path_params if values is not None else {}
    unknown = sorted(set(given) - set(endpoint.parameters))
    if unknown:
        raise RequestsFileError(
            requests.source, key, f"the endpoint has no parameter {unknown[0]!r}"
        )
    method = "GET" if operation.method in ("GET", ANY_METHOD) else operation.method
    base = TestRequest(
        name=f"{method} {endpoint.template}",
        method=method,
        path="/" + fill_path(endpoint.template, given, requests.source, key),
        params=values.params if values is not None else {},
        expected_status=OK,
        template=endpoint.template,
    )
    any_method = operation.method == ANY_METHOD
    if operation.login_url is not None:  # @login_required, LoginRequiredMixin
        anonymous = _variant(base, "anonymous: to the login page", LOGIN_REDIRECT, "none")
        checks = [replace(anonymous, redirect_to=operation.login_url)]
        if requests.auth is not None and requests.auth.session is not None:
            # Logged in, the page itself answers (a view of any method: anything but a 5xx/404).
            checks.append(_variant(base, "session", ANSWERED if any_method else OK, "session"))
        return checks
    if any_method:
        return [_variant(base, "any method: it answers", ANSWERED, "none")]
    permissions = set(operation.permissions)
    if permissions <= _OPEN:
        return [base]
    if not permissions <= _LOGGED_IN | _PRIVILEGED:
        return [_variant(base, "custom permissions", UNKNOWN, "none")]
    checks = [_variant(base, "anonymous", DENIED, "none")]
    mode = _login_mode(operation, requests.auth)
    if mode is not None and permissions <= _LOGGED_IN:
        checks.append(_variant(base, mode, OK, mode))
    return checks


def _safe_operation(endpoint: DjangoEndpoint) -> Operation | None:
    for wanted in ("GET", ANY_METHOD, "HEAD"):
        for operation in endpoint.operations:
            if operation.method == wanted:
                return operation
    return None


def _login_mode(operation: Operation, auth: AuthSettings | None) -> AuthMode | None:
    """The configured login the endpoint accepts: JWT, then a token, then the session, then
    a custom header (a class that is neither DRF's own nor a JWT one)."""
    if auth is None:
        return None
    names = [name.rpartition(".")[2] for name in operation.authentication]
    custom = [
        name
        for name in operation.authentication
        if name not in _DRF_AUTHENTICATION and "JWT" not in name.rpartition(".")[2]
    ]
    wanted: list[tuple[AuthMode, bool]] = [
        ("jwt", auth.jwt is not None and any("JWT" in name for name in names)),
        (
            "token",
            auth.token is not None
            and any(n.endswith("TokenAuthentication") and "JWT" not in n for n in names),
        ),
        ("session", auth.session is not None and "SessionAuthentication" in names),
        ("header", auth.header is not None and bool(custom)),
    ]
    return next((mode for mode, accepted in wanted if accepted), None)


def _variant(
    base: TestRequest, label: str, expected: tuple[int, ...], auth: AuthMode
) -> TestRequest:
    return replace(base, name=f"{base.name} ({label})", expected_status=expected, auth=auth)
