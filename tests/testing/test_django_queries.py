"""Database spans on Django backends other than MySQL (SQLite here, as many suites run on it):
a small Django project with a planted N+1, run by pytest-django in a subprocess."""

from __future__ import annotations

import pytest

from e2e_otel.testing.database import mysql_quoting

pytest_plugins = ["pytester"]

pytest.importorskip("pytest_django")

SETTINGS = """
SECRET_KEY = "test"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "books"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
ROOT_URLCONF = "books.urls"
MIDDLEWARE = []
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
"""

MODELS = """
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=50)


class Book(models.Model):
    title = models.CharField(max_length=50)
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
"""

URLS = """
from django.http import JsonResponse
from django.urls import path

from books.models import Book


def books(request):  # one author query per book: the N+1
    return JsonResponse({"books": [[b.title, b.author.name] for b in Book.objects.all()]})


def books_joined(request):
    rows = Book.objects.select_related("author")
    return JsonResponse({"books": [[b.title, b.author.name] for b in rows]})


urlpatterns = [path("api/books/", books), path("api/books/joined/", books_joined)]
"""

CONFIG = """
workflows:
  rules:
    - {name: books, method: GET, route: "api/books/*"}
"""

DATA = """
import pytest

from books.models import Author, Book


@pytest.fixture
def books(db):
    for i in range(7):
        Book.objects.create(title=f"b{i}", author=Author.objects.create(name=f"a{i}"))
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.mkpydir("books")
    pytester.path.joinpath("books", "models.py").write_text(MODELS)
    pytester.path.joinpath("books", "urls.py").write_text(URLS)
    pytester.path.joinpath("settings.py").write_text(SETTINGS)
    pytester.path.joinpath("e2e-otel.yaml").write_text(CONFIG)
    pytester.makeini(
        "[pytest]\nDJANGO_SETTINGS_MODULE = settings\npythonpath = .\n"
        "e2e_otel = true\ne2e_otel_config = e2e-otel.yaml\n"
    )
    pytester.makeconftest(DATA)
    return pytester


def test_sqlite_queries_are_counted_and_the_n_plus_one_caught(project: pytest.Pytester) -> None:
    project.makepyfile(
        """
        from django.db import connection
        from django.test.utils import CaptureQueriesContext


        def test_joined(books, client, e2e_trace):
            with CaptureQueriesContext(connection) as django_counted:
                client.get("/api/books/joined/")
            trace = e2e_trace.workflow("books")
            trace.assert_complete(layers={"api", "database"}).assert_max_queries(1)
            assert len(trace.queries) == len(django_counted) == 1
            trace.assert_no_n_plus_one()


        def test_loop(books, client, e2e_trace):
            client.get("/api/books/")
            e2e_trace.workflow("books").assert_max_queries(1)


        def test_loop_rule(books, client, e2e_trace):
            client.get("/api/books/")
            e2e_trace.workflow("books").assert_no_n_plus_one()
        """
    )
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2)
    out = result.stdout.str()
    assert "assert_max_queries(1) failed: workflow 'books' ran 8 queries" in out
    assert "7 x select `books_author`.`id`, `books_author`.`name` from `books_author` where" in out
    # Identifiers in the MySQL dialect the analyzers read, so the rule names the tables.
    assert "N+1 queries in GET api/books/: 7 x SELECT books_author per request" in out


def test_queries_are_not_counted_twice_when_the_driver_is_traced(
    project: pytest.Pytester,
) -> None:
    # The app traces sqlite3 itself (OpenTelemetry's DB-API integration, as the sqlite3 and
    # psycopg instrumentations do): its spans are the queries, not ours as well.
    project.makeconftest(
        DATA
        + """
import sqlite3.dbapi2

from opentelemetry.instrumentation.dbapi import wrap_connect

wrap_connect("app", sqlite3.dbapi2, "connect", "sqlite", {"database": "database"})
"""
    )
    project.makepyfile(
        """
        def test_joined(books, client, e2e_trace):
            client.get("/api/books/joined/")
            queries = e2e_trace.workflow("books").queries
            assert [q.scope_name for q in queries] == ["app"]
        """
    )
    project.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_tests_own_execute_wrapper_keeps_working(project: pytest.Pytester) -> None:
    # connection.execute_wrapper() pops the last wrapper when its block ends: the plugin's,
    # added when the block opened the connection, must not be the one popped.
    project.makepyfile(
        """
        from django.db import connection


        def test_blocker(books, e2e_trace):
            connection.close()
            seen = []

            def spy(execute, sql, params, many, context):
                seen.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(spy):
                list(connection.cursor().execute("SELECT 1"))
            assert spy not in connection.execute_wrappers
            assert len(connection.execute_wrappers) == 1
            assert seen == ["SELECT 1"]
            assert len(e2e_trace.all().queries) >= 1
        """
    )
    project.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_unittest_test_cases_get_the_fixture_through_an_autouse_one(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        """
        import pytest
        from django.test import TestCase

        from books.models import Author, Book


        class BookTests(TestCase):
            @pytest.fixture(autouse=True)
            def _e2e_trace(self, e2e_trace):
                self.e2e_trace = e2e_trace

            def setUp(self):
                Book.objects.create(title="b", author=Author.objects.create(name="a"))

            def test_joined(self):
                # setUp's inserts are there: the fixture was set up first
                assert [q.name for q in self.e2e_trace.all().queries].count("INSERT") == 2
                self.e2e_trace.clear()
                self.client.get("/api/books/joined/")
                self.e2e_trace.workflow("books").assert_max_queries(1)
        """
    )
    project.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ('SELECT "a"."id" FROM "a"', "SELECT `a`.`id` FROM `a`"),
        ('SELECT \'say "hi"\', "b" FROM t', "SELECT 'say \"hi\"', `b` FROM t"),
        ("SELECT 'it''s', \"x\"\"y\"", "SELECT 'it''s', `x\"y`"),
        ("SELECT `a` FROM t", "SELECT `a` FROM t"),
    ],
)
def test_double_quoted_identifiers_in_the_mysql_dialect(sql: str, expected: str) -> None:
    assert mysql_quoting(sql) == expected
