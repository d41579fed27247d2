"""SQL statement handling: fingerprints (:mod:`e2e_otel.sql.fingerprint`)."""

from __future__ import annotations
