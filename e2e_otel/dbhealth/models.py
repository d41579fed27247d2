"""What ``db health`` reports: typed results of each check and the report that gathers them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from e2e_otel.analyzers.models import Recommendation


@dataclass(frozen=True)
class ServerStatus:
    version: str
    flavor: Literal["mariadb", "mysql"]
    threads_connected: int
    max_connections: int
    max_used_connections: int
    aborted_connects: int  # failed connection attempts since start (a counter)
    uptime_s: int
    performance_schema: bool


@dataclass(frozen=True)
class Digest:
    """One row of performance_schema.events_statements_summary_by_digest, joined to our
    fingerprint of its DIGEST_TEXT (see docs/db-health.md for the joining rule)."""

    schema: str | None
    digest: str  # the server's own hash
    digest_text: str
    fingerprint: str
    fingerprint_id: str
    truncated: bool  # the server cut DIGEST_TEXT: the fingerprint id will not match spans
    calls: int
    rows_examined: int
    rows_sent: int
    rows_affected: int
    no_index_used: int  # executions that scanned a table without any index
    no_good_index_used: int
    total_latency_ms: float
    avg_latency_ms: float

    @property
    def examined_per_sent(self) -> float:
        """Rows read per row returned (or changed); high means the filter uses no index."""
        return self.rows_examined / max(self.rows_sent + self.rows_affected, 1)


def by_fingerprint(digests: Iterable[Digest]) -> list[Digest]:
    """One digest per fingerprint id, in order of first appearance: the first one's text, the
    counters summed (their averages recomputed)."""
    merged: dict[str, Digest] = {}
    for d in digests:
        first = merged.get(d.fingerprint_id)
        if first is None:
            merged[d.fingerprint_id] = d
            continue
        calls = first.calls + d.calls
        total_ms = first.total_latency_ms + d.total_latency_ms
        merged[d.fingerprint_id] = replace(
            first,
            calls=calls,
            rows_examined=first.rows_examined + d.rows_examined,
            rows_sent=first.rows_sent + d.rows_sent,
            rows_affected=first.rows_affected + d.rows_affected,
            no_index_used=first.no_index_used + d.no_index_used,
            no_good_index_used=first.no_good_index_used + d.no_good_index_used,
            total_latency_ms=round(total_ms, 3),
            avg_latency_ms=round(total_ms / calls, 3) if calls else 0.0,
        )
    return list(merged.values())


@dataclass(frozen=True)
class DigestReport:
    """``available`` is False with ``note`` saying why (performance_schema off, the digest
    consumer disabled, no privilege) and how to fix it."""

    available: bool
    note: str
    digests: tuple[Digest, ...] = ()


@dataclass(frozen=True)
class Migration:
    app: str
    name: str


@dataclass(frozen=True)
class ModelChange:
    """A model change no migration covers (what ``makemigrations --check`` would create)."""

    app: str
    description: str  # e.g. "Add field colour to note"


@dataclass(frozen=True)
class MigrationStatus:
    settings: str
    unapplied: tuple[Migration, ...]
    changes: tuple[ModelChange, ...]
    conflicts: tuple[str, ...] = ()  # apps with several leaf migrations


@dataclass(frozen=True)
class Relation:
    """A foreign key the models declare, with why the database may not enforce it."""

    model: str  # dotted model, e.g. "shop.models.Review"
    table: str
    column: str
    parent_table: str
    parent_column: str
    db_constraint: bool  # False: Django was told not to create the constraint


@dataclass(frozen=True)
class OrphanCheck:
    """Child rows whose parent row does not exist, for one unenforced relation."""

    relation: Relation
    reason: str  # why it was checked: db_constraint=False, MyISAM, no FOREIGN KEY
    orphaned_rows: int
    capped: bool  # the count stopped at the limit: there are at least this many
    error: str | None = None  # the bounded query failed (timeout, missing table)


@dataclass(frozen=True)
class HealthReport:
    dsn: str  # redacted
    generated_at: datetime
    connected: bool
    error: str | None = None  # why not connected
    status: ServerStatus | None = None
    digests: DigestReport | None = None
    recommendations: tuple[Recommendation, ...] = ()
    migrations: MigrationStatus | None = None
    orphans: tuple[OrphanCheck, ...] = ()
    # Checks that could not run (and why); the rest of the report still stands.
    problems: tuple[str, ...] = ()
