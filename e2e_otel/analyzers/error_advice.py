"""What each error category (``e2e.error.category``) usually means and what to do about it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from e2e_otel.analyzers.models import Category


class ErrorAdvice(NamedTuple):
    category: Category  # the layer a fix belongs to
    meaning: str
    steps: tuple[str, ...]


ADVICE: Mapping[str, ErrorAdvice] = {
    "db_integrity": ErrorAdvice(
        "database",
        "a write broke a constraint (duplicate key, NOT NULL, foreign key)",
        (
            "Validate before writing: check uniqueness/required fields in the serializer or "
            "form and answer 400/409 instead of 500",
            "Handle the constraint where races are possible: catch IntegrityError around the "
            "write (transaction.atomic()), or use get_or_create()/update_or_create() or "
            "INSERT ... ON DUPLICATE KEY UPDATE",
            "Find which constraint fails from the exception message in the example traces",
        ),
    ),
    "db_connection": ErrorAdvice(
        "database",
        "the database could not be reached or dropped the connection",
        (
            "Check database availability, network and credentials at the failure times",
            "Set CONN_MAX_AGE and CONN_HEALTH_CHECKS so stale connections are replaced",
            "Retry idempotent reads once on a dropped connection",
        ),
    ),
    "db_pool_exhausted": ErrorAdvice(
        "database",
        "no database connection was available (too many connections)",
        (
            "Compare max_connections with workers x threads x connections per worker",
            "Release connections sooner: shorten transactions, close connections in "
            "background jobs, use a pooler (ProxySQL)",
        ),
    ),
    "db_query": ErrorAdvice(
        "database",
        "a query failed (lock wait timeout, deadlock, or a query error)",
        (
            "For deadlocks and lock waits: keep transactions short and take locks in one order",
            "Retry the transaction on deadlock (MySQL error 1213)",
        ),
    ),
    "db_migration": ErrorAdvice(
        "database",
        "the schema does not match the code (missing table or column)",
        (
            "Run the pending migrations (manage.py migrate) before deploying the code",
            "Make migrations backwards compatible: add columns before the code uses them",
        ),
    ),
    "server_error": ErrorAdvice(
        "api",
        "an unhandled exception or a 5xx response",
        (
            "Open an example trace: the exception event has the type, message and stack",
            "Fix the failing code path, or turn an expected failure into a 4xx answer",
        ),
    ),
    "serialization": ErrorAdvice(
        "api",
        "a response or message could not be serialized",
        ("Check the serializer for the fields in the exception message (types, None values)",),
    ),
    "network_timeout": ErrorAdvice(
        "api",
        "a call to another service timed out",
        (
            "Set explicit timeouts shorter than the request's own budget",
            "Retry idempotent calls with backoff; add a circuit breaker for a failing service",
        ),
    ),
    "validation": ErrorAdvice(
        "api",
        "requests were rejected as invalid (400/422)",
        (
            "Check whether a client sends bad input systematically (a frontend bug)",
            "Validate on the client before sending",
        ),
    ),
    "authentication": ErrorAdvice(
        "api",
        "requests without valid credentials (401)",
        (
            "Check whether the client calls the endpoint before logging in",
            "Expected for anonymous traffic to protected endpoints: no fix if intended",
        ),
    ),
    "auth_token_expired": ErrorAdvice(
        "frontend",
        "requests with an expired token (401)",
        ("Refresh the token before it expires (or on the first 401, then retry once)",),
    ),
    "permission": ErrorAdvice(
        "api",
        "requests the user is not allowed to make (403)",
        ("Hide actions the user cannot take in the UI; check the permission classes",),
    ),
    "not_found": ErrorAdvice(
        "api",
        "requests for objects that do not exist (404)",
        ("Look for stale links or ids in the client; expected for deleted objects",),
    ),
    "throttled": ErrorAdvice(
        "api",
        "requests over a rate limit (429)",
        ("Back off on 429 in the client (Retry-After); review the throttle rates",),
    ),
    "render_failure": ErrorAdvice(
        "frontend",
        "the page failed to render",
        ("Open an example trace for the error; add an error boundary around the component",),
    ),
    "response_parse": ErrorAdvice(
        "frontend",
        "the client could not parse a response",
        ("Check the response's content type and body for the failing route (HTML error page?)",),
    ),
}
UNKNOWN = ErrorAdvice(
    "api",
    "failures without a more specific category",
    ("Open an example trace to see the exception or status code",),
)
#: What a category means when a browser span carries it (a ``workflow``, fetch or page span of
#: ``@e2e-otel/web``): the fix is in the frontend, or starts there.
FRONTEND_ADVICE: Mapping[str, ErrorAdvice] = {
    "network_timeout": ErrorAdvice(
        "frontend",
        "the browser gave up waiting for a response (timeout or network failure)",
        (
            "Open an example trace: if the API span behind the fetch is slow, fix that "
            "endpoint first (see its slow-endpoint finding)",
            "Give each fetch an explicit timeout that matches the endpoint's normal latency "
            "(AbortSignal.timeout()), and show the user a retry instead of a hung page",
            "Retry idempotent GETs once with backoff; never retry a POST blindly",
        ),
    ),
}


def advice_for(category: str, frontend: bool) -> ErrorAdvice:
    """The advice for ``category``; on a frontend span the frontend's when it has its own."""
    specific = FRONTEND_ADVICE.get(category) if frontend else None
    return specific or ADVICE.get(category, UNKNOWN)
