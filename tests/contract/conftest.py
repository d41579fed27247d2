"""The real scans the contract tests join: the nextjs-shop fixture and the demo shop's
Django project (discovered in a child process, on SQLite so no MariaDB is needed), and the
discovery tests' small project (``fx``: routers, regex routes, a view without handlers,
one answering in its own dispatch)."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e_otel.discovery.django import discover_django
from e2e_otel.discovery.django_models import DjangoDiscovery
from e2e_otel.discovery.nextjs import scan
from e2e_otel.discovery.nextjs_models import NextjsApp
from tests.discovery.test_django_scan import write_project
from tests.integration.services import SHOP

FRONTEND = Path(__file__).resolve().parents[1] / "fixtures" / "nextjs-shop"
SETTINGS = "shop_project.settings"


@pytest.fixture(scope="session")
def shop_django() -> DjangoDiscovery:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOP_DB_ENGINE", "sqlite")
        return discover_django(SETTINGS, pythonpath=[str(SHOP)])


@pytest.fixture(scope="session")
def shop_frontend() -> NextjsApp:
    return scan(FRONTEND)


@pytest.fixture(scope="session")
def fx(tmp_path_factory: pytest.TempPathFactory) -> DjangoDiscovery:
    project = write_project(tmp_path_factory.mktemp("fx"))
    return discover_django("fx_settings", pythonpath=[str(project)])
