from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.services import MariaDB, free_port, manage


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDB]:
    db = MariaDB(port=free_port(), directory=tmp_path_factory.mktemp("mariadb"))
    db.start()
    try:
        yield db
    finally:
        db.stop()


@pytest.fixture(scope="session")
def shop_db(mariadb: MariaDB) -> MariaDB:
    """MariaDB with the shop migrated and seeded (fewer page views than the demo: the contract
    tests do not need the slow query to be slow)."""
    manage(mariadb, "migrate", "--noinput", "-v", "0")
    manage(mariadb, "seed_shop", "--pageviews", "20000")
    return mariadb
