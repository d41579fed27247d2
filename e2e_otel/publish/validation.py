"""Validation of report documents against ``REPORT_JSON_SCHEMA`` with ``jsonschema``.

``jsonschema`` checks the ``date-time`` format only when optional packages are installed, so
that one format is checked here, by :func:`parse_date_time`, the same parser that reads dates
back into the model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match

from e2e_otel.publish.json_schema import REPORT_JSON_SCHEMA

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


class ReportSchemaError(ValueError):
    """A document is not a valid report: ``path`` locates the bad value (e.g.
    ``recommendations[2].priority``), ``reason`` says what is wrong with it."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path or '(document)'}: {reason}")
        self.path = path
        self.reason = reason


def validate(instance: Any, schema: Mapping[str, Any] = REPORT_JSON_SCHEMA) -> None:
    """Raise ``ReportSchemaError`` for the most relevant place where ``instance`` breaks
    ``schema``."""
    error = best_match(_validator(schema).iter_errors(instance))
    if error is not None:
        path = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path
        ).lstrip(".")
        raise ReportSchemaError(path, error.message)


_VALIDATORS: dict[int, Draft202012Validator] = {}


def _validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    validator = _VALIDATORS.get(id(schema))
    if validator is None:
        checker = FormatChecker(formats=())
        checker.checks("date-time", raises=ValueError)(_is_date_time)
        validator = _VALIDATORS[id(schema)] = Draft202012Validator(schema, format_checker=checker)
    return validator


def parse_date_time(value: str) -> datetime:
    """Parse an RFC 3339 date-time (as the schema's ``format: date-time`` means it); raise
    ``ValueError`` otherwise. Works on Python 3.10, whose ``fromisoformat`` knows no ``Z``."""
    match = _RFC3339.fullmatch(value)
    if not match:
        raise ValueError(f"{value!r} is not an RFC 3339 date-time")
    fraction, zone = match.group(1) or "", match.group(2)
    fraction = fraction[:7].ljust(7, "0") if fraction else ""
    offset = "+00:00" if zone in ("Z", "z") else zone
    return datetime.fromisoformat(value[: match.start(1 if fraction else 2)] + fraction + offset)


def _is_date_time(value: object) -> bool:
    """A format constrains strings only (JSON Schema): a null window bound is the type's
    business, and passes here."""
    if not isinstance(value, str):
        return True
    try:
        parse_date_time(value)
    except ValueError:
        return False
    return True
