"""``discover django`` on the classic fixture (tests/fixtures/django-classic): login
redirects, methods DRF refuses before the handler, and a scan that says each warning once."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from e2e_otel.cli import discover_django as cli_discover_django
from e2e_otel.discovery.django import discover_django
from e2e_otel.discovery.django_models import DjangoDiscovery
from tests.discovery.test_django_scan import URLS, write_project
from tests.validation.classic import CLASSIC, SETTINGS


@pytest.fixture(scope="module")
def classic() -> DjangoDiscovery:
    return discover_django(SETTINGS, pythonpath=[str(CLASSIC)])


def test_login_required_views_name_the_login_page(classic: DjangoDiscovery) -> None:
    login_urls = {e.template: {op.login_url for op in e.operations} for e in classic.endpoints}
    assert login_urls["shelf/"] == {"/accounts/login/"}  # @login_required over @require_GET
    assert login_urls["reader/"] == {"/accounts/login/"}  # LoginRequiredMixin
    assert login_urls["hours/"] == {None}  # AccessMixin alone checks nothing
    assert login_urls[""] == {None}
    assert login_urls["accounts/login/"] == {None}
    assert classic.endpoint("shelf/").methods == ("GET",)


def test_methods_drf_refuses_before_the_handler_are_not_listed(classic: DjangoDiscovery) -> None:
    # http_method_names without "put"; a perms_map without "PUT".
    for template in ("api/volumes/{pk}/", "api/loans/{pk}/"):
        assert classic.endpoint(template).methods == ("GET", "PATCH", "DELETE")


def test_a_repeated_warning_is_said_once_with_a_count(tmp_path: Path) -> None:
    urls = URLS + (
        "\nfrom fx_app.models import Book\nfor _ in range(20):\n    try:\n"
        "        Book.objects.count()\n    except Exception:\n        pass\n"
    )
    root = write_project(tmp_path, **{"fx_urls.py": urls})
    warnings = discover_django("fx_settings", pythonpath=[str(root)]).warnings
    (line,) = [w for w in warnings if "tried to reach the database" in w]
    assert str(root / "fx_urls.py") in line and line.endswith("(20 times)")


def test_json_to_a_file_leaves_stdout_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    cli_discover_django.add_parser(parser.add_subparsers())
    out = tmp_path / "django.json"
    argv = ["django", "--settings", SETTINGS, "--pythonpath", str(CLASSIC), "--json", str(out)]
    assert cli_discover_django.run(parser.parse_args(argv)) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(out.read_text())["settings"] == SETTINGS
