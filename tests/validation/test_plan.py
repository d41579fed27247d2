"""The plan built from the real shop's discovery: reads only, unless the file lists more."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from e2e_otel.discovery.django import discover_django
from e2e_otel.discovery.django_models import ANY_METHOD, DjangoDiscovery, DjangoEndpoint, Operation
from e2e_otel.validation.auth import expired_token
from e2e_otel.validation.plan import build_plan
from e2e_otel.validation.requests_yaml import RequestsFileError, load_requests, parse_requests
from tests.integration.services import SHOP
from tests.validation.harness import CREDENTIALS, EXAMPLE


@pytest.fixture(scope="module")
def shop() -> DjangoDiscovery:
    return discover_django("shop_project.settings", pythonpath=[str(SHOP)])


def test_values_never_turn_an_unsafe_only_endpoint_into_a_check(shop: DjangoDiscovery) -> None:
    file = parse_requests(
        {"endpoints": {"api/cart/items/{pk}/": {"path_params": {"pk": 1}}}}, "f.yaml", {}
    )
    plan = build_plan(shop, file)
    assert {r.method for r in plan.requests} == {"GET"}
    assert "api/cart/items/{pk}/" not in {r.template for r in plan.requests}
    assert "api/products/{pk}/" not in {r.template for r in plan.requests}


def test_with_logins_protected_reads_run_authenticated_too(shop: DjangoDiscovery) -> None:
    plan = build_plan(shop, load_requests(EXAMPLE, CREDENTIALS))
    cart = [(r.name, r.auth, r.expected_status) for r in plan.requests if r.template == "api/cart/"]
    assert cart == [
        ("GET api/cart/ (anonymous)", "none", (401, 403)),
        ("GET api/cart/ (jwt)", "jwt", (200,)),
        ("GET api/cart/ (expired token)", "expired_jwt", (401,)),
    ]
    # Whether the demo user is staff is the project's business: anonymous only.
    admin = [r.auth for r in plan.requests if r.template == "api/admin/stats/"]
    assert admin == ["none"]


def test_values_for_an_undiscovered_endpoint_are_an_error(shop: DjangoDiscovery) -> None:
    file = parse_requests({"endpoints": {"api/nope/": {"skip": True}}}, "f.yaml", {})
    with pytest.raises(
        RequestsFileError, match=r"^f\.yaml: endpoints\.api/nope/: no such endpoint"
    ):
        build_plan(shop, file)
    file = parse_requests(
        {"endpoints": {"api/products/{pk}/": {"path_params": {"id": 1}}}}, "f.yaml", {}
    )
    with pytest.raises(RequestsFileError, match=r"path_params: the endpoint has no parameter 'id'"):
        build_plan(shop, file)


def test_the_expired_token_keeps_the_claims_and_is_rejected_only_for_its_age() -> None:
    key = CREDENTIALS["SHOP_SECRET_KEY"]
    now = time.time()
    valid = jwt.encode(
        {"token_type": "access", "user_id": "7", "exp": int(now) + 600}, key, "HS256"
    )
    forged = expired_token(valid, key, "HS256", now)
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(forged, key, algorithms=["HS256"])
    claims = jwt.decode(forged, key, algorithms=["HS256"], options={"verify_exp": False})
    assert (claims["user_id"], claims["token_type"]) == ("7", "access")
    assert claims["exp"] < now and claims["iat"] < claims["exp"]
    header = json.loads(base64.urlsafe_b64decode(forged.split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}


def test_a_view_of_any_method_is_only_asked_to_answer() -> None:
    # A GraphQL view answers in its own dispatch(): a bare GET may get 400, which is fine.
    graphql = DjangoEndpoint(
        template="graphql/",
        route="graphql/",
        name=None,
        view="app.views.GraphQLView",
        kind="django",
        parameters={},
        operations=(Operation(method=ANY_METHOD, handler="dispatch"),),
    )
    discovery = DjangoDiscovery("s.settings", "5.2", None, (graphql,), {})
    (check,) = build_plan(discovery).requests
    assert (check.method, check.path, check.auth) == ("GET", "/graphql/", "none")
    assert 400 in check.expected_status and 405 in check.expected_status
    assert 404 not in check.expected_status and 500 not in check.expected_status
