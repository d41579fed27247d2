from __future__ import annotations

from collections.abc import Iterator

import pytest

from e2e_otel.discovery.django import discover_django
from e2e_otel.sources.otlp_files import read_spans
from tests.integration.services import SHOP, MariaDB, ShopServer
from tests.validation.harness import CREDENTIALS, SECRET, Runs, drive


@pytest.fixture(scope="session")
def runs(shop_db: MariaDB, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    """The shop on real MariaDB, traced by e2e-otel into a file, validated in every way the
    tests check; the spans are read once the shop has stopped."""
    tmp = tmp_path_factory.mktemp("validation")
    discovery = discover_django("shop_project.settings", pythonpath=[str(SHOP)])
    server = ShopServer(
        shop_db, "configure", tmp / "shop.jsonl", extra_env={"SHOP_SECRET_KEY": SECRET}
    )
    server.start()
    try:
        with pytest.MonkeyPatch.context() as env:
            for name, value in CREDENTIALS.items():
                env.setenv(name, value)
            env.setenv("OTEL_TRACES_EXPORTER", "none")
            env.setenv("E2E_OTEL_TRACES_FILE", str(tmp / "client.jsonl"))
            env.delenv("OTEL_SERVICE_NAME", raising=False)
            result = drive(server.base_url, discovery, tmp)
    finally:
        log = server.stop()
    problems: list[object] = []
    result.server_spans = list(read_spans([tmp / "shop.jsonl"], problems.append))
    result.cli_client_spans = list(read_spans([tmp / "client.jsonl"], problems.append))
    assert not problems, (problems, log[-2000:])
    yield result
