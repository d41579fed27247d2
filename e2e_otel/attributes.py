"""The names that several parts depend on (docs/attributes.md). Changing one is a breaking
change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# Span attributes set by our processors and integrations.
LAYER: Final = "e2e.layer"
WORKFLOW_TYPE: Final = "e2e.workflow.type"
WORKFLOW_ID: Final = "e2e.workflow.id"
DB_FINGERPRINT: Final = "e2e.db.fingerprint"
DB_FINGERPRINT_ID: Final = "e2e.db.fingerprint_id"
ERROR_CATEGORY: Final = "e2e.error.category"

# Resource attributes the sampling tier sets on every span it keeps (collector-config/scale/
# sampler.yaml): the analyzer reads them to say its traces are a sample.
SAMPLING_POLICY: Final = "e2e.sampling.policy"
SAMPLING_BASELINE_PERCENT: Final = "e2e.sampling.baseline_percent"
SAMPLING_POLICY_TAIL: Final = "tail"  # every error, slow and query-heavy trace, and a baseline

# Values of e2e.layer.
LAYER_FRONTEND: Final = "frontend"
LAYER_API: Final = "api"
LAYER_DATABASE: Final = "database"
LAYER_EXTERNAL: Final = "external"
LAYER_INTERNAL: Final = "internal"
LAYERS: Final = frozenset(
    {LAYER_FRONTEND, LAYER_API, LAYER_DATABASE, LAYER_EXTERNAL, LAYER_INTERNAL}
)

# Baggage keys that carry the workflow from the frontend into Django.
BAGGAGE_WORKFLOW_TYPE: Final = WORKFLOW_TYPE
BAGGAGE_WORKFLOW_ID: Final = WORKFLOW_ID

# HTTP headers.
HEADER_CORRELATION_ID: Final = "X-Correlation-ID"
HEADER_WORKFLOW_TYPE: Final = "X-Workflow-Type"
HEADER_TRACERESPONSE: Final = "traceresponse"

# Error taxonomy (e2e.error.category).
ERROR_CATEGORIES: Final = (
    "network_timeout",
    "auth_token_expired",
    "authentication",
    "permission",
    "validation",
    "not_found",
    "throttled",
    "serialization",
    "server_error",
    "db_connection",
    "db_pool_exhausted",
    "db_integrity",
    "db_query",
    "db_migration",
    "render_failure",
    "response_parse",
    "unknown",
)

# Standard semantic-convention attributes we read (old and stable names both).
DB_STATEMENT_KEYS: Final = ("db.statement", "db.query.text")
HTTP_STATUS_KEYS: Final = ("http.response.status_code", "http.status_code")
HTTP_ROUTE: Final = "http.route"


def http_status_code(attributes: Mapping[str, object]) -> int | None:
    """The HTTP status of a span under either semantic-convention name (int, or digits)."""
    for key in HTTP_STATUS_KEYS:
        value = attributes.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        # ASCII and short: "²" is a digit to isdigit() but not to int(), and int() refuses
        # strings of over 4300 digits; no status code has more than 3.
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 10:
            return int(value)
    return None


def db_statement(attributes: Mapping[str, object]) -> str | None:
    """The SQL text of a span under either semantic-convention name (non-empty), else None."""
    for key in DB_STATEMENT_KEYS:
        value = attributes.get(key)
        if isinstance(value, str) and value:
            return value
    return None
