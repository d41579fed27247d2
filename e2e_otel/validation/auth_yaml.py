"""The requests file's ``auth`` section: the logins ``validate`` may use, every secret read
from the environment variable the file names.

``session`` (a JSON login view, or Django's form ``LoginView`` with ``form: true``), ``jwt``
(token pair, refresh, optional expired-token check), ``token`` (``Authorization: Token ...``:
DRF's ``TokenAuthentication``, the token from ``token_env`` or from ``obtain_path``) and
``header`` (a custom header such as ``X-Api-Key``, its value from ``value_env``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from e2e_otel.config_parse import check_known_keys, mapping_at, string_at
from e2e_otel.config_types import ConfigError
from e2e_otel.validation.models import AuthSettings, Credentials, JwtLogin, SessionLogin, TokenLogin
from e2e_otel.validation.yaml_fields import from_env, no_secrets, optional_path, path_at, required

_SECTIONS = ("session", "jwt", "token", "header")
_HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
# The credentials are needed only by the logins that post them.
_NEEDS_CREDENTIALS = ("session", "jwt")


def parse_auth(value: object, source: str, environ: Mapping[str, str]) -> AuthSettings | None:
    """The validated ``auth`` section (None when absent); :class:`ConfigError` names the key."""
    if value is None:
        return None
    data = mapping_at(value, source, "auth")
    # Literal secrets first: they are the worst mistake in the file, whatever else is wrong.
    # (``token`` names a section here, not a literal token: its mapping is checked below.)
    no_secrets({k: v for k, v in data.items() if k not in _SECTIONS}, source, "auth.")
    for section in _SECTIONS:
        no_secrets(
            mapping_at(data.get(section), source, f"auth.{section}"), source, f"auth.{section}."
        )
    check_known_keys(
        data, source, "auth.", {"username_env", "password_env", "username_field", *_SECTIONS}
    )
    if not any(section in data for section in _SECTIONS):
        raise ConfigError(source, "auth", "give a session, jwt, token or header login")
    needs = any(s in data for s in _NEEDS_CREDENTIALS) or "obtain_path" in (data.get("token") or {})
    credentials = Credentials(
        username=from_env(data, "username_env", source, "auth.", environ) if needs else "",
        password=from_env(data, "password_env", source, "auth.", environ) if needs else "",
        username_field=string_at(
            data.get("username_field", "username"), source, "auth.username_field"
        ),
    )
    jwt, signing_key = _jwt(data.get("jwt"), source, environ)
    return AuthSettings(
        credentials,
        session=_session(data.get("session"), source),
        jwt=jwt,
        signing_key=signing_key,
        token=_token(data.get("token"), source, environ),
        header=_header(data.get("header"), source, environ),
    )


def _session(value: object, source: str) -> SessionLogin | None:
    if value is None:
        return None
    raw = mapping_at(value, source, "auth.session")
    check_known_keys(raw, source, "auth.session.", {"login_path", "csrf_path", "form"})
    form = raw.get("form", False)
    if not isinstance(form, bool):
        raise ConfigError(source, "auth.session.form", f"expected true or false, got {form!r}")
    login = required(raw, "login_path", source, "auth.session.")
    return SessionLogin(
        login_path=path_at(login, source, "auth.session.login_path"),
        csrf_path=optional_path(raw.get("csrf_path"), source, "auth.session.csrf_path"),
        form=form,
    )


def _jwt(
    value: object, source: str, environ: Mapping[str, str]
) -> tuple[JwtLogin | None, str | None]:
    if value is None:
        return None, None
    raw = mapping_at(value, source, "auth.jwt")
    check_known_keys(
        raw, source, "auth.jwt.", {"obtain_path", "refresh_path", "signing_key_env", "algorithm"}
    )
    algorithm = string_at(raw.get("algorithm", "HS256"), source, "auth.jwt.algorithm").upper()
    if algorithm not in _HMAC_ALGORITHMS:
        choices = ", ".join(sorted(_HMAC_ALGORITHMS))
        raise ConfigError(source, "auth.jwt.algorithm", f"{algorithm!r} is not one of {choices}")
    obtain = required(raw, "obtain_path", source, "auth.jwt.")
    jwt = JwtLogin(
        obtain_path=path_at(obtain, source, "auth.jwt.obtain_path"),
        refresh_path=optional_path(raw.get("refresh_path"), source, "auth.jwt.refresh_path"),
        signing_key_env=raw.get("signing_key_env"),
        algorithm=algorithm,
    )
    signing_key = None
    if "signing_key_env" in raw:
        signing_key = from_env(raw, "signing_key_env", source, "auth.jwt.", environ)
    return jwt, signing_key


def _token(value: object, source: str, environ: Mapping[str, str]) -> TokenLogin | None:
    if value is None:
        return None
    raw = mapping_at(value, source, "auth.token")
    check_known_keys(raw, source, "auth.token.", {"token_env", "obtain_path", "header", "prefix"})
    if ("token_env" in raw) == ("obtain_path" in raw):
        raise ConfigError(source, "auth.token", "give one of token_env and obtain_path")
    return TokenLogin(
        header=_header_name(raw.get("header", "Authorization"), source, "auth.token.header"),
        prefix=_prefix(raw.get("prefix", "Token"), source, "auth.token.prefix"),
        token=from_env(raw, "token_env", source, "auth.token.", environ)
        if "token_env" in raw
        else None,
        obtain_path=optional_path(raw.get("obtain_path"), source, "auth.token.obtain_path"),
    )


def _header(value: object, source: str, environ: Mapping[str, str]) -> TokenLogin | None:
    if value is None:
        return None
    raw: Mapping[str, Any] = mapping_at(value, source, "auth.header")
    check_known_keys(raw, source, "auth.header.", {"name", "value_env", "prefix"})
    name = required(raw, "name", source, "auth.header.")
    return TokenLogin(
        header=_header_name(name, source, "auth.header.name"),
        prefix=_prefix(raw.get("prefix", ""), source, "auth.header.prefix"),
        token=from_env(raw, "value_env", source, "auth.header.", environ),
    )


def _header_name(value: object, source: str, key: str) -> str:
    name = string_at(value, source, key)
    if not name or any(c.isspace() or c == ":" for c in name):
        raise ConfigError(source, key, f"{name!r} is not an HTTP header name")
    return name


def _prefix(value: object, source: str, key: str) -> str:
    """What goes before the secret (``Token``, ``Bearer``); empty for the bare value."""
    if not isinstance(value, str) or any(c.isspace() for c in value):
        raise ConfigError(source, key, f"expected one word or '', got {value!r}")
    return value
