"""The demo shop's own trace tests (examples/shop/tests), run as a user runs them: pytest with
pytest-django in that directory, against the real MariaDB, tracing through the e2e-otel setup."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.integration.services import SHOP, MariaDB, clean_env

pytestmark = pytest.mark.integration


def _shop_pytest(db: MariaDB, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=SHOP / "tests",
        env=clean_env(db.shop_env()),
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_shop_workflows_pass_and_the_planted_n_plus_one_is_caught(mariadb: MariaDB) -> None:
    # The browser test among them: the built storefront in Debian's Chromium (scripts/lib.sh
    # build_storefront, as CI does before pytest); it fails, never skips, when they are missing.
    result = _shop_pytest(mariadb, "-rA")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    assert "8 passed, 1 xfailed" in result.stdout, result.stdout[-3000:]
    assert "PASSED test_browser.py::test_one_trace_from_the_click_to_the_sql" in result.stdout
    assert "XFAIL test_workflows.py::test_product_reviews_have_no_n_plus_one" in result.stdout


def test_unmarked_the_n_plus_one_test_fails_with_the_loop_marked(mariadb: MariaDB) -> None:
    result = _shop_pytest(mariadb, "--runxfail", "-k", "product_reviews")
    assert result.returncode == 1, result.stdout[-5000:]
    out = result.stdout
    assert (
        "N+1 queries in GET api/products/with-reviews/: 7 x SELECT shop_review per request" in out
    )
    assert "prefetch_related()" in out
    marked = [line for line in out.splitlines() if line.startswith("E       >>")]
    assert len(marked) == 4  # two loop queries, the folded run, the last one
    assert "from `shop_review` where `shop_review`.`product_id` = ?" in marked[0]
    assert marked[0].endswith("<- loop 1 of 7")
    assert "... 4 more like the line above" in marked[2]
