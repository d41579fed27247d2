"""Django migration status and declared relations, read by a child process with the
project's settings (so the project's apps never load into ours)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from e2e_otel.dbhealth.connection import DbHealthError, Dsn
from e2e_otel.dbhealth.models import Migration, MigrationStatus, ModelChange, Relation
from e2e_otel.discovery.django_child import DjangoChildError, run_django_task

_TASK = Path(__file__).with_name("django_facts.py")


def django_facts(
    settings: str,
    dsn: Dsn,
    *,
    pythonpath: Sequence[str] = (),
    python: str = sys.executable,
) -> tuple[MigrationStatus, tuple[Relation, ...]]:
    """Migration status of the ``dsn`` database per the project's migrations, and the
    foreign keys its models declare. The settings' default database is pointed at ``dsn``.

    Raises :class:`DbHealthError` (one line, password scrubbed) when the project cannot be
    loaded or the migration table cannot be read.
    """
    database = {
        "host": dsn.host,
        "port": str(dsn.port),
        "name": dsn.database,
        "user": dsn.user,
        "password": dsn.password,
    }
    try:
        result, _ = run_django_task(
            _TASK,
            settings,
            pythonpath=pythonpath,
            python=python,
            request={"database": database},
            block_database=False,
        )
    except DjangoChildError as exc:
        raise DbHealthError(f"migration status: {dsn.scrub(exc.message)}") from None
    status = MigrationStatus(
        settings=settings,
        unapplied=tuple(Migration(app, name) for app, name in result["unapplied"]),
        changes=tuple(ModelChange(app, text) for app, text in result["changes"]),
        conflicts=tuple(result["conflicts"]),
    )
    relations = tuple(Relation(**relation) for relation in result["relations"])
    return status, relations
