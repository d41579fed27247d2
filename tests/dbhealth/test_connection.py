"""The --dsn: unencoded characters in a password named as the cause, IPv6 hosts printed with
their brackets, and the password masked in messages without mangling other words."""

from __future__ import annotations

import argparse

import pytest

from e2e_otel.cli import db as cli_db
from e2e_otel.dbhealth.connection import Dsn, DsnError, parse_dsn
from tests.integration.services import free_port


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    cli_db.add_parser(parser.add_subparsers(dest="command"))
    return cli_db.run(parser.parse_args(list(argv)))


@pytest.mark.parametrize("password", ["pa#ss", "pa?ss", "pa/ss", "p@ss#w", "s3cret/x"])
def test_an_unencoded_character_in_the_password_is_named_as_the_cause(
    password: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("db", "health", "--dsn", f"mysql://shop:{password}@db.example:3306/shop") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("e2e-otel: error: --dsn: the user or password seems to hold a character")
    assert "'#' as %23" in err and "--password-env" in err
    assert password not in err


def test_percent_encoded_and_at_signs_in_the_password_read_as_written() -> None:
    assert parse_dsn("mysql://shop:pa%23ss%3F%2F@db:3306/shop").password == "pa#ss?/"
    # "@" needs no encoding to be read right: the host starts after the last one.
    dsn = parse_dsn("mysql://shop:p@ss@db:3306/shop")
    assert (dsn.password, dsn.host) == ("p@ss", "db")
    with pytest.raises(DsnError, match="needs a user, a host and a database"):
        parse_dsn("mysql://db:3306/shop")  # a DSN that is wrong for another reason says so


def test_an_ipv6_host_keeps_its_brackets_when_printed(capsys: pytest.CaptureFixture[str]) -> None:
    dsn = parse_dsn("mysql://shop:secret@[::1]:3306/shop")
    assert dsn.host == "::1"
    assert dsn.redacted() == "mysql://shop:***@[::1]:3306/shop"
    port = free_port()
    assert run_cli("db", "health", "--dsn", f"mysql://shop:secret@[::1]:{port}/shop") == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"e2e-otel: error: cannot connect to mysql://shop:***@[::1]:{port}/shop: "
    )
    assert "secret" not in err


def test_the_password_is_masked_as_a_token_not_inside_other_words() -> None:
    dsn = Dsn("db", 3306, "app", "orders", password="hunter22")
    text = "login app:hunter22@db failed; password=hunter22; hunter22x and xhunter22 are not it"
    assert (
        dsn.scrub(text)
        == "login app:***@db failed; password=***; hunter22x and xhunter22 are not it"
    )
    punctuated = Dsn("db", 3306, "app", "orders", password="#pw!")
    assert punctuated.scrub("x#pw! y") == "x*** y"  # no word boundary to respect at "#" or "!"


@pytest.mark.parametrize(
    ("user", "database", "password"),
    [
        ("shop", "shop", "shop"),  # the demo's own credentials
        ("app", "shop", "shop"),  # the database name as password
        ("app", "orders", "abc"),  # too short to tell from text
    ],
)
def test_passwords_that_are_not_distinctive_leave_messages_alone(
    user: str, database: str, password: str
) -> None:
    text = f"settings {database}_project.settings: importing {database}.urls, {password}.views"
    dsn = Dsn("db", 3306, user, database, password=password)
    assert dsn.scrub(text) == text
    # The printed DSN masks it all the same.
    assert dsn.redacted() == f"mysql://{user}:***@db:3306/{database}"
