"""The requests file: what it accepts, and errors that name the file, the key and the reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from e2e_otel.validation.requests_yaml import RequestsFileError, load_requests
from tests.validation.harness import CREDENTIALS, EXAMPLE


def _load(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> RequestsFileError:
    path = tmp_path / "requests.yaml"
    path.write_text(text)
    with pytest.raises(RequestsFileError) as caught:
        load_requests(path, CREDENTIALS if environ is None else environ)
    assert caught.value.source == str(path)
    return caught.value


def test_the_example_file_reads_with_credentials_from_the_environment() -> None:
    loaded = load_requests(EXAMPLE, CREDENTIALS)
    assert loaded.auth is not None
    assert loaded.auth.credentials.username == "alice"
    assert loaded.auth.signing_key == CREDENTIALS["SHOP_SECRET_KEY"]
    assert "alice-password" not in repr(loaded.auth)
    assert loaded.endpoints["api/products/{pk}/"].path_params == {"pk": "1"}
    assert loaded.endpoints["api/debug/boom/"].skip
    missing = next(r for r in loaded.requests if r.name == "missing product")
    assert (missing.method, missing.path, missing.expected_status) == (
        "GET",
        "/api/products/2000000000/",
        (404,),
    )


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ("requests:\n  - {path: /x/}\n", "requests[0].expected_status", "missing required key"),
        ("requests:\n  - {path: x/, expected_status: 200}\n", "requests[0].path", "is not a path"),
        ("requests:\n  - {path: 'http://evil/', expected_status: 200}\n", "requests[0].path",
         "is not a path"),
        ("requests:\n  - {path: '/p/{pk}/', expected_status: 200}\n", "requests[0].path_params",
         "no value for path parameter 'pk'"),
        ("requests:\n  - {path: /x/, method: FETCH, expected_status: 200}\n", "requests[0].method",
         "is not an HTTP method"),
        ("requests:\n  - {path: /x/, auth: basic, expected_status: 200}\n", "requests[0].auth",
         "is not one of none, session, jwt, expired_jwt"),
        ("requests:\n  - {path: /x/, expected_status: 200, headers: {Authorization: Bearer x}}\n",
         "requests[0].headers.Authorization", "credentials are never written in the file"),
        ("requests:\n  - {path: /x/, expected_status: 200, body: 1}\n", "requests[0].body",
         "unknown key"),
        ("endpoints:\n  api/x/: {skip: maybe}\n", "endpoints.api/x/.skip", "expected true or false"),
        ("auth: {username_env: SHOP_USER, password_env: SHOP_PASSWORD}\n", "auth",
         "give a session, jwt, token or header login"),
        ("auth:\n  token: {token: abc}\n", "auth.token.token",
         "secrets are never written in the file; name an environment variable with token_env"),
        ("auth:\n  header: {name: X-Key, value: abc}\n", "auth.header.value",
         "secrets are never written in the file"),
        ("auth:\n  token: {prefix: Token}\n", "auth.token", "give one of token_env and obtain_path"),
        ("auth:\n  header: {name: 'X Key', value_env: SHOP_USER}\n", "auth.header.name",
         "is not an HTTP header name"),
        ("auth:\n  username_env: SHOP_USER\n  password_env: SHOP_PASSWORD\n"
         "  session: {login_path: /login/, form: sometimes}\n", "auth.session.form",
         "expected true or false"),
        ("auth:\n  username_env: SHOP_USER\n  password_env: NOT_SET_ANYWHERE\n  jwt: {obtain_path: /t/}\n",
         "auth.password_env", "environment variable NOT_SET_ANYWHERE is not set"),
        ("auth:\n  username_env: U\n  password_env: P\n  jwt: {obtain_path: /t/, signing_key: k}\n",
         "auth.jwt.signing_key", "secrets are never written in the file"),
        ("auth:\n  username_env: SHOP_USER\n  password_env: SHOP_PASSWORD\n  jwt: {obtain_path: /t/, algorithm: RS256}\n",
         "auth.jwt.algorithm", "'RS256' is not one of HS256, HS384, HS512"),
        ("requests: [\n", "line 2", "invalid YAML"),
    ],
)  # fmt: skip
def test_errors_name_the_key_and_the_reason(
    tmp_path: Path, text: str, key: str, reason: str
) -> None:
    error = _load(tmp_path, text)
    assert error.key == key
    assert reason in error.reason
    assert re.fullmatch(
        rf"{re.escape(str(tmp_path))}/requests\.yaml: {re.escape(key)}: .+", str(error)
    )


def test_a_missing_file_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(RequestsFileError) as caught:
        load_requests(tmp_path / "absent.yaml", {})
    assert (caught.value.key, caught.value.reason) == (
        "<file>",
        "cannot read: No such file or directory",
    )


def test_token_and_header_logins_take_their_secrets_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "requests.yaml"
    path.write_text(
        "auth:\n"
        "  token: {token_env: API_TOKEN}\n"
        "  header: {name: X-Partner-Key, value_env: PARTNER_KEY}\n"
        "  session: {login_path: /accounts/login/, form: true}\n"
        "  username_env: U\n  password_env: P\n"
    )
    environ = {"API_TOKEN": "tok-1", "PARTNER_KEY": "key-2", "U": "u", "P": "p"}
    auth = load_requests(path, environ).auth
    assert auth is not None and auth.token is not None and auth.header is not None
    assert (auth.token.header, auth.token.value(auth.token.token or "")) == (
        "Authorization",
        "Token tok-1",
    )
    assert (auth.header.header, auth.header.value(auth.header.token or "")) == (
        "X-Partner-Key",
        "key-2",
    )
    assert auth.session is not None and auth.session.form
    assert "tok-1" not in repr(auth) and "key-2" not in repr(auth)
    # A token alone needs no username nor password.
    path.write_text("auth:\n  token: {token_env: API_TOKEN}\n")
    assert load_requests(path, {"API_TOKEN": "t"}).auth is not None
