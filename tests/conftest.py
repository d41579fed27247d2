from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from e2e_otel import runtime
from e2e_otel.config import Config
from e2e_otel.setup import export_processor, start_processors
from tests.integration.services import MariaDB, free_port, manage


@dataclass
class Pipeline:
    """A real SDK pipeline with our processors, exporting to memory."""

    provider: TracerProvider
    exporter: InMemorySpanExporter

    def spans(self) -> list[ReadableSpan]:
        self.provider.force_flush()
        return list(self.exporter.get_finished_spans())

    def by_name(self, name: str) -> ReadableSpan:
        matches = [s for s in self.spans() if s.name == name]
        assert len(matches) == 1, (
            f"expected one span {name!r}, got {[s.name for s in self.spans()]}"
        )
        return matches[0]


def make_pipeline(config: Config | None = None) -> Pipeline:
    config = config or Config()
    runtime.set_config(config)
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    for processor in start_processors(config):
        provider.add_span_processor(processor)
    provider.add_span_processor(export_processor(exporter, config, batch=False))
    return Pipeline(provider, exporter)


@pytest.fixture
def pipeline() -> Iterator[Pipeline]:
    p = make_pipeline()
    yield p
    p.provider.shutdown()
    runtime.set_config(Config())


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDB]:
    """One real MariaDB for the whole session, started by scripts/mariadb.sh on a free port."""
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
