"""``e2e-otel demo``: the embedded default, with no servers and no MariaDB.

Sets up the demo shop (``examples/shop``) on SQLite in a temporary directory, traces it
in-process with :func:`e2e_otel.configure` writing OTLP JSON lines, serves it on a loopback
ephemeral port (every request goes through Django's middleware stack, so the Django
instrumentation traces it), drives every workflow with ``examples/shop/traffic.py`` including
the problem endpoints, flushes the traces and analyzes them into ``report.{html,md,json}``.

The shop is not part of the installed package: the demo runs from a source checkout only.
Exit codes: 0 report written; 2 one readable error line.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from e2e_otel.cli.errors import CommandError, command

if TYPE_CHECKING:
    from e2e_otel.setup import Handle

# A full scan of this many page views takes ~120-200 ms on SQLite (2 cores), well over the
# 50 ms database warning threshold; seeding them takes ~7 s.
PAGEVIEWS = 1_000_000
# The N+1 page lists every product, one reviews query each. The loop is found by its count
# alone; a review query's span lasts ~0.075 ms on SQLite in-process, so this many also passes
# n_plus_one.min_total_ms (50 ms), which keeps the finding high priority: ~110 ms of queries
# in a ~0.8 s request (2 cores), ~1 s per traffic round.
PRODUCTS = 1500
SERVICE_NAME = "shop-api"
# The shop's own configuration: the demo runs the analyzers with their default settings.
CONFIG_NAME = "e2e-otel.yaml"
SETTINGS_MODULE = "shop_project.settings"


class DemoError(CommandError):
    """Ends the command with exit code 2 and this one-line message."""


def shop_dir() -> Path:
    """Where the demo shop lives in a source checkout."""
    return Path(__file__).resolve().parents[2] / "examples" / "shop"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "demo",
        help="trace the demo shop on SQLite in-process and write the analysis report",
        description="Run the demo shop (examples/shop, from a source checkout) on SQLite "
        "in-process with tracing, drive every workflow including its planted problems, and "
        "analyze the traces into report.html, report.md and report.json. No servers needed.",
    )
    parser.add_argument(
        "--out", default=os.path.join("out", "demo"), help="output directory (default: %(default)s)"
    )
    parser.add_argument(
        "--iterations", type=int, default=3, help="traffic rounds, 1..1000 (default: %(default)s)"
    )
    parser.set_defaults(handler=run)


@command
def run(args: argparse.Namespace) -> int:
    run_demo(Path(args.out), args.iterations)
    return 0


def run_demo(
    out: Path,
    iterations: int = 3,
    shop: Path | None = None,
    say: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Run the whole demo; returns the written files by name. Raises :class:`DemoError`.

    Configures tracing and Django in this process, so it can run once per process.
    """
    say = say or (lambda line: print(line, file=sys.stderr, flush=True))
    if not 1 <= iterations <= 1000:
        raise DemoError("--iterations must be between 1 and 1000")
    shop = shop or shop_dir()
    _check_checkout(shop)
    if "django.conf" in sys.modules and _django_configured():
        raise DemoError("Django is already configured in this process; run the demo on its own")
    started = time.perf_counter()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DemoError(f"cannot create {out}: {exc.strerror or exc}") from None
    traces = out / "traces.jsonl"
    traces.unlink(missing_ok=True)  # the file exporter appends
    with tempfile.TemporaryDirectory(prefix="e2e-otel-demo-") as tmp:
        database = Path(tmp) / "shop.sqlite3"
        say(
            f"demo: seeding the shop on SQLite ({PRODUCTS:,} products, {PAGEVIEWS:,} page views)"
            f" in {tmp} ..."
        )
        _seed(shop, database)
        say(f"demo: seeded in {time.perf_counter() - started:.1f}s; tracing to {traces}")
        handle = _start_tracing(shop, database, traces)
        try:
            with _serve() as base_url:
                say(f"demo: shop serving on {base_url}; driving {iterations} traffic round(s)")
                say("demo: " + _drive(shop, base_url, iterations))
        finally:
            handle.shutdown()  # flushes the batch processor into traces.jsonl
    return _analyze(shop, traces, out, say, started)


def _check_checkout(shop: Path) -> None:
    needed = ("manage.py", "traffic.py", CONFIG_NAME)
    if not all((shop / name).is_file() for name in needed):
        raise DemoError(
            f"the demo shop is not at {shop}: `e2e-otel demo` runs from a source checkout "
            "of e2e-otel (git clone, then pip install -e '.[shop]')"
        )
    if (
        importlib.util.find_spec("django") is None
        or importlib.util.find_spec("rest_framework") is None
    ):
        raise DemoError("the demo shop needs Django and DRF: pip install -e '.[shop]'")


def _django_configured() -> bool:
    from django.conf import settings

    return bool(settings.configured)


def _shop_env(database: Path) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "SHOP_DB_ENGINE": "sqlite",
        "SHOP_DB_PATH": str(database),
        "SHOP_REVIEWS_PAGE_SIZE": str(PRODUCTS),
    }


def _seed(shop: Path, database: Path) -> None:
    """migrate + seed_shop in a child process: set-up statements stay out of the traces."""
    env = {**os.environ, **_shop_env(database)}
    env.pop("SHOP_E2E_OTEL_CONFIGURE", None)
    commands = (
        ["migrate", "--verbosity", "0"],
        ["seed_shop", "--pageviews", str(PAGEVIEWS), "--products", str(PRODUCTS)],
    )
    for manage in commands:
        done = subprocess.run(
            [sys.executable, "manage.py", *manage],
            cwd=shop,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            last = lines[-1] if lines else f"exit code {done.returncode}"
            raise DemoError(f"manage.py {manage[0]} failed: {last}")


def _start_tracing(shop: Path, database: Path, traces: Path) -> Handle:
    import e2e_otel
    from e2e_otel.config import ConfigError

    os.environ.update(_shop_env(database))
    # No collector: the OTLP JSON file is the only exporter, whatever the environment says.
    os.environ["OTEL_TRACES_EXPORTER"] = "none"
    os.environ.pop("E2E_OTEL_DISABLED", None)
    if str(shop) not in sys.path:
        sys.path.insert(0, str(shop))
    try:
        # Before Django loads: the Django instrumentation reads settings.MIDDLEWARE.
        handle = e2e_otel.configure(
            service_name=SERVICE_NAME, config=shop / CONFIG_NAME, traces_file=traces
        )
    except ConfigError as exc:
        raise DemoError(str(exc)) from None
    _instrument_sqlite()
    import django

    django.setup()
    _mysql_style_identifiers()
    return handle


def _instrument_sqlite() -> None:
    """Database spans for SQLite (e2e-otel instruments the MySQL drivers only).

    Django's SQLite backend calls ``sqlite3.dbapi2.connect``; the generic DB-API integration
    wraps it so that every cursor's statements become client spans with ``db.system=sqlite``.
    """
    import sqlite3.dbapi2

    from opentelemetry.instrumentation.dbapi import wrap_connect

    # The stub says Callable; the integration takes the module that holds ``connect``.
    wrap_connect(
        __name__,
        sqlite3.dbapi2,  # type: ignore[arg-type]
        "connect",
        "sqlite",
        {"database": "database"},
    )


def _mysql_style_identifiers() -> None:
    """Quote identifiers with backticks, as Django does on MySQL (SQLite accepts both).

    The analyzers read SQL in the MySQL dialect, where ``"name"`` is a string literal: with
    SQLite's double quotes every table and column would fingerprint to ``?``. With backticks
    the demo's statements, fingerprints and index advice are those of the shop on MySQL.
    """
    from django.db.backends.sqlite3.operations import DatabaseOperations

    def quote_name(self: Any, name: str) -> str:
        if name.startswith("`") and name.endswith("`"):
            return name
        return f"`{name}`"

    DatabaseOperations.quote_name = quote_name  # type: ignore[method-assign]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _serve() -> Iterator[str]:
    """Django's WSGI application on 127.0.0.1, an ephemeral port, in a daemon thread."""
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()  # sets Django's logging up (again)
    # The 500s are deliberate: their exceptions are in the traces, not worth the console.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    try:
        server: WSGIServer = make_server("127.0.0.1", 0, application, handler_class=_QuietHandler)
    except OSError as exc:
        raise DemoError(f"cannot listen on 127.0.0.1: {exc.strerror or exc}") from None
    thread = threading.Thread(target=server.serve_forever, name="e2e-otel-demo-shop", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _drive(shop: Path, base_url: str, iterations: int) -> str:
    """Run traffic.py's main() against ``base_url``; returns its summary line."""
    spec = importlib.util.spec_from_file_location("e2e_otel_demo_traffic", shop / "traffic.py")
    if spec is None or spec.loader is None:
        raise DemoError(f"cannot load {shop / 'traffic.py'}")
    traffic = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = traffic  # dataclasses look their module up there
    spec.loader.exec_module(traffic)
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = ["--base-url", base_url, "--iterations", str(iterations), "--seed", "1"]
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = traffic.main(argv)
    if code != 0:
        lines = stderr.getvalue().strip().splitlines() or [f"exit code {code}"]
        raise DemoError(f"traffic.py failed: {lines[0]} (against {base_url})")
    lines = stdout.getvalue().strip().splitlines()
    return f"traffic: {lines[-1]}" if lines else "traffic: done"


def _analyze(
    shop: Path, traces: Path, out: Path, say: Callable[[str], None], started: float
) -> dict[str, Path]:
    from e2e_otel.analyzers.run import analyze_files
    from e2e_otel.cli.analyze import verdict
    from e2e_otel.cli.outputs import OutputError, write_reports
    from e2e_otel.config import load_config

    if not traces.is_file() or traces.stat().st_size == 0:
        raise DemoError(f"no traces were written to {traces}")
    report = analyze_files([traces], load_config(shop / CONFIG_NAME), datetime.now(timezone.utc))
    if report.spans == 0:
        raise DemoError(f"no spans found in {traces}")
    reports = {
        "report.html": ("html", out / "report.html"),
        "report.md": ("markdown", out / "report.md"),
        "report.json": ("json", out / "report.json"),
    }
    try:
        write_reports(report, dict(reports.values()))
    except OutputError as exc:
        raise DemoError(str(exc)) from None
    written = {"traces": traces, **{name: path for name, (_, path) in reports.items()}}
    for recommendation in report.recommendations:
        say(f"  [{recommendation.priority}] {recommendation.title}")
    print(verdict(report))
    for path in written.values():
        print(path)
    say(f"demo: done in {time.perf_counter() - started:.1f}s")
    say(
        "demo: no browser in this one (the API, its database and the analysis only); with a "
        "browser, the Next.js storefront and the collector: ./scripts/storefront-demo.sh"
    )
    return written
