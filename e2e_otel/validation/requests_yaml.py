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
from typing import cast

import yaml

from e2e_otel.config_parse import check_known_keys, mapping_at, string_at
from e2e_otel.config_types import ConfigError
from e2e_otel.validation.auth_yaml import parse_auth
from e2e_otel.validation.models import AUTH_MODES, AuthMode, AuthSettings, TestRequest
from e2e_otel.validation.yaml_fields import path_at, required

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})
# Credentials go through ``auth``; a literal one in a header would sit in the file.
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})


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
            auth=parse_auth(root.get("auth"), source, environ),
            endpoints=_endpoints(root.get("endpoints"), source),
            requests=tuple(
                _request(raw, source, f"requests[{i}]") for i, raw in enumerate(raw_requests)
            ),
        )
    except RequestsFileError:
        raise
    except ConfigError as exc:
        raise RequestsFileError(exc.source, exc.key, exc.reason) from None


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
    template = path_at(required(data, "path", source, f"{key}."), source, f"{key}.path")
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
            required(data, "expected_status", source, f"{key}."), source, f"{key}.expected_status"
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
