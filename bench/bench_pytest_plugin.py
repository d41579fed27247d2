"""What the trace-testing pytest plugin (``e2e_otel.testing``) costs a Django test suite.

One generated suite of Django test-client tests on the demo shop and MariaDB — product list and
detail, cart updates, checkout: real requests and real queries, about 75 per test — runs as
whole pytest processes in three arms, interleaved round by round (the order rotates):

- ``off``: pytest with pytest-django, the plugin installed but not opted in;
- ``idle``: the same with ``-p e2e_otel.testing``; no test asks for ``e2e_trace`` (a suite
  that enabled the plugin for a few trace tests: tracing is installed, nothing is recorded);
- ``traced``: every test asks for ``e2e_trace`` and asserts on its checkout (complete, no N+1):
  every request and query traced through e2e-otel's processors into the capture, the worst
  case.

Reported: the median of the per-round ratios to ``off`` of wall time and of the pytest
process's CPU time (user + system; MariaDB's is not in it), and each arm's medians. On a
machine shared with other work, the CPU ratio is the steadier one.

    python bench/bench_pytest_plugin.py [--rounds 5] [--tests 60] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from requests_env import SHOP, free_port, mariadb

CONFTEST = SHOP / "tests" / "conftest.py"
INI = """[pytest]
DJANGO_SETTINGS_MODULE = shop_project.settings
pythonpath = {shop}
e2e_otel_config = {shop}/e2e-otel.yaml
addopts = -p no:cacheprovider -q
"""
# In the off arm there is no e2e_trace fixture: the suite asks for it through this one.
TRACED = """

@pytest.fixture
def traced(request):
    if os.environ.get("BENCH_TRACED") == "1":
        return request.getfixturevalue("e2e_trace")
    return None
"""
# Each test: a few requests of the shop's workflows through the Django test client.
TEST = """
def test_browse_and_buy_{n}(client, alice, products, traced):
    assert client.get("/api/products/").status_code == 200
    assert client.get(f"/api/products/{{products[{n} % len(products)].pk}}/").status_code == 200
    client.force_login(alice)
    for product in products[:3]:
        assert client.post("/api/cart/items/", {{"product_id": product.pk}}).status_code == 201
    assert client.get("/api/cart/").status_code == 200
    assert client.post("/api/checkout/").status_code == 201
    if traced is not None:
        checkout = traced.workflow("checkout")
        checkout.assert_complete(layers={{"api", "database"}}).assert_no_n_plus_one()
"""
PLUGIN = ("-p", "e2e_otel.testing")
ARMS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "off": ((), {}),
    "idle": (PLUGIN, {}),
    "traced": (PLUGIN, {"BENCH_TRACED": "1"}),
}


def write_suite(directory: Path, tests: int) -> None:
    (directory / "pytest.ini").write_text(INI.format(shop=SHOP))
    conftest = CONFTEST.read_text() + "\nimport os\n" + TRACED
    (directory / "conftest.py").write_text(conftest)
    (directory / "test_suite.py").write_text("".join(TEST.format(n=n) for n in range(tests)))


def run(arm: str, directory: Path, db_port: int, tests: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the pytest process) of one run of the suite."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "E2E_OTEL_"))}
    args, extra = ARMS[arm]
    env.update({"SHOP_DB_HOST": "127.0.0.1", "SHOP_DB_PORT": str(db_port), **extra})
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0 or f"{tests} passed" not in result.stdout:
        raise SystemExit(f"arm {arm} failed:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}")
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tests", type=int, default=60)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pytest-plugin-") as tmp:
        root = Path(tmp)
        suite = root / "suite"
        suite.mkdir()
        write_suite(suite, args.tests)
        db_port = free_port()
        mariadb("start", db_port, root / "mariadb")
        try:
            run("off", suite, db_port, args.tests)  # warm-up: imports, test database
            times: dict[str, list[float]] = {arm: [] for arm in ARMS}
            cpu: dict[str, list[float]] = {arm: [] for arm in ARMS}
            for round_ in range(args.rounds):
                arms = list(ARMS)
                order = arms[round_ % len(arms) :] + arms[: round_ % len(arms)]
                for arm in order:
                    wall, used = run(arm, suite, db_port, args.tests)
                    times[arm].append(wall)
                    cpu[arm].append(used)
                print(
                    f"round {round_ + 1}: "
                    + ", ".join(f"{a} {times[a][-1]:.2f} s ({cpu[a][-1]:.2f} s CPU)" for a in ARMS)
                )
        finally:
            mariadb("stop", db_port, root / "mariadb", check=False)
    summary = {
        "tests": args.tests,
        "rounds": args.rounds,
        "wall": _figures(times),
        "cpu": _figures(cpu),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
    }
    print(json.dumps(summary, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")


def _figures(seconds: dict[str, list[float]]) -> dict[str, object]:
    ratios = {
        arm: [t / off for t, off in zip(seconds[arm], seconds["off"], strict=True)]
        for arm in ("idle", "traced")
    }
    return {
        "median_s": {arm: round(statistics.median(values), 3) for arm, values in seconds.items()},
        "ratio_to_off_median": {a: round(statistics.median(r), 3) for a, r in ratios.items()},
        "ratios": {a: [round(x, 3) for x in r] for a, r in ratios.items()},
    }


if __name__ == "__main__":
    main()
