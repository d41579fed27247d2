"""The YAML file of test requests: login settings, values for the default plan, extra requests.

Every error names the file, the dotted key and the reason (:class:`RequestsFileError`).
Credentials and signing keys are only ever named by environment variable; a literal secret in
the file is refused.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from e2e_otel.config_parse import check_known_keys, mapping_at, string_at
from e2e_otel.config_types import ConfigError
from e2e_otel.validation.models import (
    AUTH_MODES,
    AuthMode,
    AuthSettings,
    Credentials,
    JwtLogin,
    SessionLogin,
    TestRequest,
)

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})
_SECRET_KEYS = frozenset({"password", "token", "secret", "signing_key", "api_key", "key"})
# Credentials go through ``auth``; a literal one in a header would sit in the file.
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})
_HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})


class RequestsFileError(ConfigError):
    """The requests file is invalid: ``source`` (the file), ``key`` (dotted) and ``reason``."""


@dataclass(frozen=True)
class EndpointValues:
    """What the default plan needs for one discovered endpoint (keyed by its template)."""

    path_params: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    skip: bool = False


@dataclass(frozen=True)
class RequestsFile:
    """The validated file."""

    source: str
    auth: AuthSettings | None = None
    endpoints: Mapping[str, EndpointValues] = field(default_factory=dict)
    requests: tuple[TestRequest, ...] = ()


def load_requests(
    path: str | os.PathLike[str], environ: Mapping[str, str] | None = None
) -> RequestsFile:
    """Read and validate the file; env var names are resolved in ``environ`` (os.environ)."""
    source = os.fspath(path)
    try:
        text = Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise RequestsFileError(source, "<file>", f"cannot read: {reason}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}" if mark is not None else "<yaml>"
        raise RequestsFileError(source, where, f"invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise RequestsFileError(source, "<yaml>", f"invalid YAML: {exc}") from None
    return parse_requests(data, source, os.environ if environ is None else environ)


def parse_requests(data: object, source: str, environ: Mapping[str, str]) -> RequestsFile:
    """Validate an already-parsed document (see :func:`load_requests`)."""
    try:
        root = mapping_at(data, source, "<root>")
        check_known_keys(root, source, "", {"auth", "endpoints", "requests"})
        raw_requests = root.get("requests") or []
        if not isinstance(raw_requests, list):
            raise ConfigError(source, "requests", "expected a list of requests")
        return RequestsFile(
            source=source,
            auth=_auth(root.get("auth"), source, environ),
            endpoints=_endpoints(root.get("endpoints"), source),
            requests=tuple(
                _request(raw, source, f"requests[{i}]") for i, raw in enumerate(raw_requests)
            ),
        )
    except RequestsFileError:
        raise
    except ConfigError as exc:
        raise RequestsFileError(exc.source, exc.key, exc.reason) from None


def _auth(value: object, source: str, environ: Mapping[str, str]) -> AuthSettings | None:
    if value is None:
        return None
    data = mapping_at(value, source, "auth")
    # Literal secrets first: they are the worst mistake in the file, whatever else is wrong.
    _no_secrets(data, source, "auth.")
    for section in ("session", "jwt"):
        _no_secrets(
            mapping_at(data.get(section), source, f"auth.{section}"), source, f"auth.{section}."
        )
    check_known_keys(
        data, source, "auth.", {"username_env", "password_env", "username_field", "session", "jwt"}
    )
    if "session" not in data and "jwt" not in data:
        raise ConfigError(source, "auth", "give a session or a jwt login (or both)")
    credentials = Credentials(
        username=_from_env(data, "username_env", source, "auth.", environ),
        password=_from_env(data, "password_env", source, "auth.", environ),
        username_field=string_at(
            data.get("username_field", "username"), source, "auth.username_field"
        ),
    )
    session = jwt = signing_key = None
    if "session" in data:
        raw = mapping_at(data["session"], source, "auth.session")
        check_known_keys(raw, source, "auth.session.", {"login_path", "csrf_path"})
        session = SessionLogin(
            login_path=_path(
                _required(raw, "login_path", source, "auth.session."),
                source,
                "auth.session.login_path",
            ),
            csrf_path=_optional_path(raw.get("csrf_path"), source, "auth.session.csrf_path"),
        )
    if "jwt" in data:
        raw = mapping_at(data["jwt"], source, "auth.jwt")
        check_known_keys(
            raw,
            source,
            "auth.jwt.",
            {"obtain_path", "refresh_path", "signing_key_env", "algorithm"},
        )
        algorithm = string_at(raw.get("algorithm", "HS256"), source, "auth.jwt.algorithm").upper()
        if algorithm not in _HMAC_ALGORITHMS:
            choices = ", ".join(sorted(_HMAC_ALGORITHMS))
            raise ConfigError(
                source, "auth.jwt.algorithm", f"{algorithm!r} is not one of {choices}"
            )
        jwt = JwtLogin(
            obtain_path=_path(
                _required(raw, "obtain_path", source, "auth.jwt."), source, "auth.jwt.obtain_path"
            ),
            refresh_path=_optional_path(raw.get("refresh_path"), source, "auth.jwt.refresh_path"),
            signing_key_env=raw.get("signing_key_env"),
            algorithm=algorithm,
        )
        if "signing_key_env" in raw:
            signing_key = _from_env(raw, "signing_key_env", source, "auth.jwt.", environ)
    return AuthSettings(credentials, session=session, jwt=jwt, signing_key=signing_key)


def _endpoints(value: object, source: str) -> dict[str, EndpointValues]:
    result = {}
    for template, raw in mapping_at(value, source, "endpoints").items():
        key = f"endpoints.{template}"
        data = mapping_at(raw, source, key)
        check_known_keys(data, source, f"{key}.", {"path_params", "params", "skip"})
        skip = data.get("skip", False)
        if not isinstance(skip, bool):
            raise ConfigError(source, f"{key}.skip", f"expected true or false, got {skip!r}")
        result[template.strip("/") + "/"] = EndpointValues(
            path_params=_strings(data.get("path_params"), source, f"{key}.path_params"),
            params=_strings(data.get("params"), source, f"{key}.params"),
            skip=skip,
        )
    return result


def _request(value: object, source: str, key: str) -> TestRequest:
    data = mapping_at(value, source, key)
    allowed = {"name", "method", "path", "path_params", "params", "json", "headers", "auth"}
    check_known_keys(data, source, f"{key}.", allowed | {"expected_status"})
    method = string_at(data.get("method", "GET"), source, f"{key}.method").upper()
    if method not in _METHODS:
        raise ConfigError(source, f"{key}.method", f"{method!r} is not an HTTP method")
    template = _path(_required(data, "path", source, f"{key}."), source, f"{key}.path")
    path = fill_path(
        template,
        _strings(data.get("path_params"), source, f"{key}.path_params"),
        source,
        f"{key}.path_params",
    )
    headers = _strings(data.get("headers"), source, f"{key}.headers")
    for name in headers:
        if name.lower() in _CREDENTIAL_HEADERS:
            raise ConfigError(
                source,
                f"{key}.headers.{name}",
                "credentials are never written in the file; use auth",
            )
    auth = data.get("auth", "none")
    if auth not in AUTH_MODES:
        raise ConfigError(source, f"{key}.auth", f"{auth!r} is not one of {', '.join(AUTH_MODES)}")
    return TestRequest(
        name=string_at(data.get("name", f"{method} {path}"), source, f"{key}.name"),
        method=method,
        path=path,
        expected_status=_statuses(
            _required(data, "expected_status", source, f"{key}."), source, f"{key}.expected_status"
        ),
        auth=cast(AuthMode, auth),
        params=_strings(data.get("params"), source, f"{key}.params"),
        json=data.get("json"),
        headers=headers,
    )


def fill_path(template: str, values: Mapping[str, str], source: str, key: str) -> str:
    """``template`` with each ``{name}`` replaced by its value (every one must be given)."""
    missing = [name for name in _PLACEHOLDER.findall(template) if name not in values]
    if missing:
        raise RequestsFileError(source, key, f"no value for path parameter {missing[0]!r}")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def _statuses(value: object, source: str, key: str) -> tuple[int, ...]:
    items = value if isinstance(value, list) else [value]
    statuses = []
    for item in items:
        # A 5xx is a broken server whatever the file says, so it can never be expected.
        if isinstance(item, bool) or not isinstance(item, int) or not 100 <= item <= 499:
            raise ConfigError(source, key, f"expected HTTP statuses from 100 to 499, got {item!r}")
        statuses.append(item)
    if not statuses:
        raise ConfigError(source, key, "expected at least one status")
    return tuple(statuses)


def _strings(value: object, source: str, key: str) -> dict[str, str]:
    result = {}
    for name, item in mapping_at(value, source, key).items():
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise ConfigError(source, f"{key}.{name}", f"expected a string or number, got {item!r}")
        result[name] = str(item)
    return result


def _path(value: object, source: str, key: str) -> str:
    path = string_at(value, source, key)
    # Relative to --base-url only: requests never leave the server under test.
    if not path.startswith("/") or path.startswith("//") or "://" in path:
        raise ConfigError(source, key, f"{path!r} is not a path starting with one '/'")
    return path


def _optional_path(value: object, source: str, key: str) -> str | None:
    return None if value is None else _path(value, source, key)


def _required(data: Mapping[str, Any], name: str, source: str, prefix: str) -> object:
    if name not in data:
        raise ConfigError(source, f"{prefix}{name}", "missing required key")
    return data[name]


def _no_secrets(data: Mapping[str, Any], source: str, prefix: str) -> None:
    for name in data:
        if name.lower() in _SECRET_KEYS:
            raise ConfigError(
                source,
                f"{prefix}{name}",
                f"secrets are never written in the file; name an environment variable "
                f"with {name}_env",
            )


def _from_env(
    data: Mapping[str, Any], name: str, source: str, prefix: str, environ: Mapping[str, str]
) -> str:
    variable = string_at(_required(data, name, source, prefix), source, f"{prefix}{name}")
    if not _ENV_NAME.match(variable):
        raise ConfigError(source, f"{prefix}{name}", f"{variable!r} is not a variable name")
    value = environ.get(variable)
    if not value:
        raise ConfigError(source, f"{prefix}{name}", f"environment variable {variable} is not set")
    return value
