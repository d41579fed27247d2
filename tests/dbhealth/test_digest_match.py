"""The statements an application runs find their performance_schema digest: the demo shop's
views (examples/shop/traffic.py against the shop traced by e2e-otel) and a broad set of its ORM
statements (tests/dbhealth/orm_statements.py), on the real MariaDB with performance_schema ON.

The fingerprint ids are those of the exported spans (the real pipeline, read back from the OTLP
file); the digests are those ``db health`` reads. Each gets its own database, so the call
counts the other tests assert stay as planted.
"""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from e2e_otel.dbhealth.connection import connect, parse_dsn
from e2e_otel.dbhealth.digests import read_digests
from e2e_otel.dbhealth.models import Digest
from e2e_otel.dbhealth.status import read_status
from e2e_otel.sources.otlp_files import read_spans
from tests.dbhealth.conftest import PASSWORD, Planted
from tests.integration.services import SHOP, MariaDB, ShopServer, clean_env

DATABASE = "digest_match"
MIN_MATCH_RATE = 0.95
ORM_SCRIPT = Path(__file__).parent / "orm_statements.py"
# Statements of the driver and of Django's connection set-up, not of the application.
_SESSION_PREFIXES = ("set ", "select @@", "show ", "commit", "rollback", "start transaction")


@dataclass(frozen=True)
class Statement:
    fingerprint_id: str
    fingerprint: str
    statement: str  # as exported (literals stripped)
    spans: int


@dataclass(frozen=True)
class Ran:
    statements: dict[str, Statement]  # by fingerprint id
    digests: tuple[Digest, ...]


def _shop_env(server_port: int, traces: Path) -> dict[str, str]:
    return clean_env(
        {
            "SHOP_DB_HOST": "127.0.0.1",
            "SHOP_DB_PORT": str(server_port),
            "SHOP_DB_NAME": DATABASE,
            "SHOP_DB_PASSWORD": PASSWORD,
            "DJANGO_SETTINGS_MODULE": "shop_project.settings",
            "SHOP_E2E_OTEL_CONFIGURE": "1",
            "OTEL_SERVICE_NAME": "shop-digest-match",
            "OTEL_TRACES_EXPORTER": "none",
            "E2E_OTEL_TRACES_FILE": str(traces),
            "E2E_OTEL_CONFIG": str(SHOP / "e2e-otel.yaml"),
        }
    )


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=SHOP,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        pytest.fail(f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}", pytrace=False)
    return result.stdout


@pytest.fixture(scope="module")
def ran(planted: Planted, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ran]:
    out = tmp_path_factory.mktemp("digest-match")
    server = planted.server
    server.sql(
        f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        f"GRANT ALL PRIVILEGES ON {DATABASE}.* TO 'shop'@'127.0.0.1'",
    )
    setup = _shop_env(server.port, out / "setup.jsonl")
    del setup["SHOP_E2E_OTEL_CONFIGURE"]
    _manage(setup, "migrate", "--noinput", "-v", "0")
    _manage(setup, "seed_shop", "--products", "200", "--pageviews", "2000")
    # Not truncating the digests: the other tests' digests (schema shop) must stay as planted.

    orm_traces = out / "orm.jsonl"
    _manage(_shop_env(server.port, orm_traces), "shell", "-c", ORM_SCRIPT.read_text())

    shop_traces = out / "shop.jsonl"
    shop = ShopServer(
        MariaDB(port=server.port, directory=server.directory),
        mode="configure",
        traces=shop_traces,
        extra_env={"SHOP_DB_NAME": DATABASE, "SHOP_DB_PASSWORD": PASSWORD},
    )
    shop.start()
    try:
        traffic = subprocess.run(
            [sys.executable, str(SHOP / "traffic.py"), "--base-url", shop.base_url],
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        log = shop.stop()
    assert traffic.returncode == 0, traffic.stdout + traffic.stderr + log[-3000:]

    statements: dict[str, Statement] = {}
    for span in read_spans([orm_traces, shop_traces]):
        fid = span.attributes.get("e2e.db.fingerprint_id")
        if not isinstance(fid, str):
            continue
        fp = str(span.attributes.get("e2e.db.fingerprint"))
        if fp.startswith(_SESSION_PREFIXES):
            continue
        text = span.attributes.get("db.statement") or span.attributes.get("db.query.text")
        seen = statements.get(fid)
        statements[fid] = Statement(fid, fp, str(text), (seen.spans if seen else 0) + 1)
    dsn = parse_dsn(f"mysql://shop:{PASSWORD}@127.0.0.1:{server.port}/{DATABASE}")
    with connect(dsn) as conn:
        report = read_digests(conn, read_status(conn), DATABASE, top=10_000)
    assert report.available, report.note
    yield Ran(statements, report.digests)


def _is_session(fp: str) -> bool:
    """The driver's and Django's connection set-up (SET NAMES, SELECT @@..., VERSION())."""
    return fp.startswith(_SESSION_PREFIXES) or "@@" in fp


def test_the_statements_the_app_ran_find_their_digest(ran: Ran) -> None:
    by_id = {d.fingerprint_id: d for d in ran.digests}
    app = [s for s in ran.statements.values() if not _is_session(s.fingerprint)]
    missed = sorted(s.fingerprint for s in app if s.fingerprint_id not in by_id)
    rate = 1 - len(missed) / len(app)
    print(f"{len(app) - len(missed)}/{len(app)} distinct statements matched ({rate:.1%})", *missed)
    assert len(app) >= 80  # the views and the ORM script ran: a broad set
    assert rate >= MIN_MATCH_RATE, "\n".join(missed)
    # The patterns of the analyzer-quality issue, each on a real MariaDB digest.
    for needle in (
        "select distinct ",  # DISTINCTROW in the digest
        "count(distinct ",
        "lower(",  # `LOWER` ( in the digest
        "upper(",
        "coalesce(",
        "concat_ws(",
        "char_length(",
        "in(?+)",
        " u0",  # Django's unquoted subquery alias, `U0` in the digest
        "current_timestamp(?)",  # NOW (?) in the digest
        "values(?+)",
        ") subquery",  # `subquery` in the digest (COUNT of a distinct / sliced queryset)
        " over (",  # OVER ( is not a function call
        "extract(month from ",  # SQL_TSI_MONTH in the digest
        " day)",  # TruncWeek's INTERVAL ... DAY: SQL_TSI_DAY in the digest
    ):
        assert any(needle in s.fingerprint and s.fingerprint_id in by_id for s in app), needle


def test_the_busiest_statements_join(ran: Ran) -> None:
    # What the views ran most often (the N+1 reviews query, the user lookups) joins its
    # digests, whose calls cover its spans. Several server digests can share one fingerprint:
    # LIMIT ? and LIMIT ? OFFSET ? (pages 1 and 2 of a list), IN (?) and IN (...).
    calls: dict[str, int] = defaultdict(int)
    for digest in ran.digests:
        calls[digest.fingerprint_id] += digest.calls
    busiest = sorted(ran.statements.values(), key=lambda s: -s.spans)[:10]
    for statement in busiest:
        if not _is_session(statement.fingerprint):
            assert calls[statement.fingerprint_id] >= statement.spans, statement.fingerprint
