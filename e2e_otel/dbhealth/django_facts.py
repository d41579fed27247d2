"""Child side of ``db health --django-settings``: migration status and declared relations.

Runs inside the project's interpreter (see e2e_otel.discovery.django_child_main) with the
settings' default database pointed at the ``--dsn`` server. Stdlib only at import time.
Reads the migration graph and the django_migrations table only; nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def run(request: Mapping[str, Any]) -> dict[str, Any]:
    """Unapplied migrations, model changes no migration covers (``makemigrations --check
    --dry-run``), leaf conflicts, and every foreign key of the installed models."""
    from django.apps import apps
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.autodetector import MigrationAutodetector
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.questioner import NonInteractiveMigrationQuestioner
    from django.db.migrations.state import ProjectState

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    graph = executor.loader.graph
    plan = executor.migration_plan(graph.leaf_nodes())
    detector = MigrationAutodetector(
        executor.loader.project_state(),
        ProjectState.from_apps(apps),
        NonInteractiveMigrationQuestioner(specified_apps=set(), dry_run=True),
    )
    changes = detector.changes(graph=graph)
    return {
        "unapplied": [[m.app_label, m.name] for m, backwards in plan if not backwards],
        "changes": [
            [app, operation.describe()]
            for app, migrations in sorted(changes.items())
            for migration in migrations
            for operation in migration.operations
        ],
        "conflicts": sorted(executor.loader.detect_conflicts()),
        "relations": _relations(apps),
    }


def _relations(apps: Any) -> list[dict[str, Any]]:
    found = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        for field in meta.local_fields:
            if not (field.is_relation and (field.many_to_one or field.one_to_one)):
                continue
            found.append(
                {
                    "model": f"{model.__module__}.{model.__qualname__}",
                    "table": meta.db_table,
                    "column": field.column,
                    "parent_table": field.related_model._meta.db_table,
                    "parent_column": field.target_field.column,
                    "db_constraint": bool(field.db_constraint),
                }
            )
    return found
