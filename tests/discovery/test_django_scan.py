"""``discover django`` on a small project written for the test: routers and ViewSets with
@action extras, @api_view functions, Django generic views, regex routes, namespaces, the
admin, and projects that are broken or query the database at import time."""

from __future__ import annotations

import argparse
import textwrap
import zipfile
from pathlib import Path

import pytest

from e2e_otel.cli import discover_django as cli_discover_django
from e2e_otel.discovery.django import DjangoChildError, discover_django
from e2e_otel.discovery.django_models import DjangoDiscovery

PERMS = "rest_framework.permissions"
SETTINGS = """
SECRET_KEY = "test-only"
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "rest_framework", "fx_app",
]
ROOT_URLCONF = "fx_urls"
# A path no connection can open: a scan that tried would fail loudly, not silently work.
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": "/nonexistent/e2e-otel/never.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.BasicAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": "10/min"},
}
"""
MODELS = """
from django.db import models

class Author(models.Model):
    name = models.CharField(max_length=80)

class Book(models.Model):
    class Genre(models.TextChoices):
        NOVEL = "novel"
        POETRY = "poetry"
    title = models.CharField(max_length=120)
    genre = models.CharField(max_length=10, choices=Genre.choices)
    isbn = models.CharField(max_length=13, unique=True, null=True, blank=True)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
"""
SERIALIZERS = """
from rest_framework import serializers
from fx_app.models import Author, Book

class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name"]

class BookSerializer(serializers.ModelSerializer):
    keywords = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, write_only=True
    )
    class Meta:
        model = Book
        fields = ["id", "title", "genre", "isbn", "author", "keywords"]

class BookDetailSerializer(BookSerializer):
    author = AuthorSerializer(read_only=True)

class PublishSerializer(serializers.Serializer):
    at = serializers.DateTimeField(allow_null=True)
"""
VIEWS = """
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.views.generic import RedirectView, TemplateView
from rest_framework import permissions, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.response import Response
from rest_framework.views import APIView
from fx_app import serializers as s
from fx_app.models import Author, Book

class BookViewSet(viewsets.ModelViewSet):
    queryset = Book.objects.all()
    serializer_class = s.BookSerializer

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.BookDetailSerializer
        return super().get_serializer_class()

    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAdminUser],
            serializer_class=s.PublishSerializer)
    def publish(self, request, pk=None):
        return Response()

    @action(detail=False)
    def recent(self, request):
        return Response()

class AuthorViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Author.objects.all()
    serializer_class = s.AuthorSerializer
    permission_classes = [permissions.IsAuthenticated & permissions.IsAdminUser]
    throttle_classes = []

@api_view(["GET", "POST"])
@permission_classes([permissions.AllowAny])
def ping(request):
    return Response(s.PublishSerializer({"at": None}).data)

@method_decorator(never_cache, name="dispatch")
class EmptyView(APIView):
    # No handler methods: DRF answers 405 to everything but OPTIONS (its dispatch, decorated).
    pass

class GraphQLView(View):
    # As graphene-django's and strawberry's: no get()/post(), dispatch() answers any method.
    def dispatch(self, request, *args, **kwargs):
        return HttpResponse()

class HookView(APIView):
    permission_classes = [permissions.AllowAny]

    def dispatch(self, request, *args, **kwargs):
        return HttpResponse()

class HomeView(TemplateView):
    template_name = "home.html"

@require_http_methods(["GET", "POST"])
def legacy(request, slug, number):
    return HttpResponse()

def anything(request):
    return HttpResponse()
"""
ADMIN = """
from django.contrib import admin
from fx_app.models import Book

admin.site.register(Book)
"""
URLS = """
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from rest_framework.routers import DefaultRouter
from fx_app import views

router = DefaultRouter()
router.register("books", views.BookViewSet)
router.register("authors", views.AuthorViewSet, basename="author")

urlpatterns = [
    path("api/", include((router.urls, "v1"), namespace="v1")),
    path("api/ping/", views.ping, name="ping"),
    re_path(r"^legacy/(?P<slug>[-\\w]+)/(\\d+)/$", views.legacy, name="legacy"),
    re_path(r"^archive/(?P<year>[0-9]{4})/(?:jan|feb)/$", views.anything, name="archive"),
    re_path(r"^v[0-9]+/status/$", views.anything, name="status"),
    # A group in a lookbehind: fine as written, not once widened to take a run-time part.
    re_path(r"^feed/(?<=(feed/))latest/$", views.anything, name="feed"),
    path("home/", views.HomeView.as_view(), name="home"),
    path("go/", RedirectView.as_view(url="/home/"), name="go"),
    path("admin/", admin.site.urls),
    path("any/", views.anything),
    path("empty/", views.EmptyView.as_view(), name="empty"),
    path("graphql/", views.GraphQLView.as_view(), name="graphql"),
    path("hook/", views.HookView.as_view(), name="hook"),
]
"""


def write_project(root: Path, **extra: str) -> Path:
    files = {
        "fx_settings.py": SETTINGS,
        "fx_urls.py": URLS,
        "fx_app/__init__.py": "",
        "fx_app/models.py": MODELS,
        "fx_app/serializers.py": SERIALIZERS,
        "fx_app/views.py": VIEWS,
        "fx_app/admin.py": ADMIN,
        **extra,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("fx"))


@pytest.fixture(scope="module")
def scan(project: Path) -> DjangoDiscovery:
    return discover_django("fx_settings", pythonpath=[str(project)])


def test_viewsets_expand_through_the_router_into_actions(scan: DjangoDiscovery) -> None:
    books = scan.endpoint("api/books/")
    assert (books.kind, books.name, books.view) == (
        "viewset",
        "v1:book-list",
        "fx_app.views.BookViewSet",
    )
    assert [(op.method, op.handler) for op in books.operations] == [
        ("GET", "list"),
        ("POST", "create"),
    ]
    detail = scan.endpoint("api/books/{pk}/")
    assert [(op.method, op.handler) for op in detail.operations] == [
        ("GET", "retrieve"),
        ("PUT", "update"),
        ("PATCH", "partial_update"),
        ("DELETE", "destroy"),
    ]
    assert detail.parameters == {"pk": "[^/.]+"}
    assert detail.route == "api/^books/(?P<pk>[^/.]+)/$"
    # get_serializer_class() answers per action.
    assert detail.operation("GET").serializer == "fx_app.serializers.BookDetailSerializer"
    assert detail.operation("PUT").serializer == "fx_app.serializers.BookSerializer"
    assert scan.endpoint("api/books/recent/").methods == ("GET",)
    assert scan.endpoint("api/authors/{pk}/").methods == ("GET",)  # read-only: no writes
    # Format-suffix twins (books.json ...) are not separate endpoints.
    assert not [e for e in scan.endpoints if "format" in e.parameters]
    assert scan.endpoint("api/").name == "v1:api-root"


def test_action_overrides_and_settings_defaults(scan: DjangoDiscovery) -> None:
    listing = scan.endpoint("api/books/").operation("GET")
    assert listing.authentication == ("rest_framework.authentication.BasicAuthentication",)
    assert listing.permissions == (f"{PERMS}.IsAuthenticated",)
    assert listing.throttles == ("rest_framework.throttling.AnonRateThrottle",)
    assert listing.from_settings == ("authentication", "permissions", "throttles")
    publish = scan.endpoint("api/books/{pk}/publish/").operation("POST")
    assert publish.handler == "publish"
    assert publish.permissions == (f"{PERMS}.IsAdminUser",)
    assert publish.from_settings == ("authentication", "throttles")
    assert publish.serializer == "fx_app.serializers.PublishSerializer"
    authors = scan.endpoint("api/authors/").operation("GET")
    assert authors.permissions == (f"({PERMS}.IsAuthenticated & {PERMS}.IsAdminUser)",)
    assert (authors.throttles, authors.from_settings) == ((), ("authentication",))


def test_function_and_django_views(scan: DjangoDiscovery) -> None:
    ping = scan.endpoint("api/ping/")
    assert (ping.kind, ping.view, ping.methods) == (
        "api_view",
        "fx_app.views.ping",
        ("GET", "POST"),
    )
    assert ping.operation("POST").permissions == (f"{PERMS}.AllowAny",)
    assert ping.operation("GET").handler_serializers == ("fx_app.serializers.PublishSerializer",)
    legacy = scan.endpoint("legacy/{slug}/{arg0}/")
    assert (legacy.kind, legacy.methods) == ("function", ("GET", "POST"))
    assert legacy.parameters == {"slug": "[-\\w]+", "arg0": "\\d+"}
    assert scan.endpoint("any/").methods == ("*",)
    home = scan.endpoint("home/")
    assert (home.kind, home.methods, home.implicit_methods) == (
        "django",
        ("GET",),
        ("HEAD", "OPTIONS"),
    )
    assert home.operation("GET").permissions == ()  # DRF policy does not apply
    assert {"GET", "POST", "DELETE"} <= set(scan.endpoint("go/").methods)


def test_regex_routes_carry_the_regexes_django_matches(scan: DjangoDiscovery) -> None:
    legacy = scan.endpoint("legacy/{slug}/{arg0}/")
    assert legacy.regex == (r"^legacy/(?P<slug>[-\w]+)/(\d+)/$",)
    # Below path("api/", include(router.urls)): every piece, path() ones as Django compiles them.
    assert scan.endpoint("api/books/{pk}/").regex == ("^api/", "^books/(?P<pk>[^/.]+)/$")
    assert scan.endpoint("api/ping/").regex == ()  # path() only: the template says it all


def test_the_table_names_function_views_once_and_lists_views_without_handlers(
    scan: DjangoDiscovery,
) -> None:
    lines = cli_discover_django.render_text(scan).splitlines()
    empty = next(line for line in lines if " /empty/ " in line)
    assert empty.split() == ["-", "/empty/", "fx_app.views.EmptyView", "no", "handler", "methods",
                             "(answers", "OPTIONS)"]  # fmt: skip
    anything = next(line for line in lines if " /any/ " in line)
    assert anything.split()[:3] == ["*", "/any/", "fx_app.views.anything"]
    ping = next(line for line in lines if line.startswith("POST") and " /api/ping/ " in line)
    assert ping.split()[2] == "fx_app.views.ping.post"


def test_a_view_answering_in_its_own_dispatch_takes_any_method(scan: DjangoDiscovery) -> None:
    graphql, hook = scan.endpoint("graphql/"), scan.endpoint("hook/")
    assert [(op.method, op.handler) for op in graphql.operations] == [("*", "dispatch")]
    assert (graphql.kind, graphql.implicit_methods) == ("django", ())
    assert (hook.methods, hook.operation("*").permissions) == (("*",), (f"{PERMS}.AllowAny",))
    # Django's or DRF's own dispatch, however decorated, routes to handlers: there are none.
    empty = scan.endpoint("empty/")
    assert (empty.operations, empty.implicit_methods) == ((), ("OPTIONS",))
    lines = cli_discover_django.render_text(scan).splitlines()
    line = next(line for line in lines if " /graphql/ " in line)
    assert line.split()[:3] == ["*", "/graphql/", "fx_app.views.GraphQLView.dispatch"]


def test_the_mounted_admin_is_listed(scan: DjangoDiscovery) -> None:
    names = {e.name: e for e in scan.endpoints if e.name}
    assert names["admin:index"].template == "admin/"
    changelist = names["admin:fx_app_book_changelist"]
    assert changelist.template == "admin/fx_app/book/"
    assert changelist.kind == "function"


def test_field_schemas(scan: DjangoDiscovery) -> None:
    book = scan.serializers["fx_app.serializers.BookSerializer"]
    assert book.model == "fx_app.models.Book"
    genre = book.field("genre")
    assert (genre.type, genre.choices) == ("ChoiceField", ("novel", "poetry"))
    isbn = book.field("isbn")
    assert (isbn.allow_null, isbn.required, isbn.options["max_length"]) == (True, False, 13)
    assert "rest_framework.validators.UniqueValidator" in isbn.validators
    author = book.field("author")
    assert author.type == "PrimaryKeyRelatedField"
    assert author.options["related_model"] == "fx_app.models.Author"
    keywords = book.field("keywords")
    assert (keywords.many, keywords.write_only) == (True, True)
    assert keywords.child is not None and keywords.child.options["max_length"] == 20
    nested = scan.serializers["fx_app.serializers.BookDetailSerializer"].field("author")
    assert (nested.nested, nested.read_only) == ("fx_app.serializers.AuthorSerializer", True)
    assert scan.serializers["fx_app.serializers.PublishSerializer"].field("at").allow_null


def test_import_time_query_is_refused_and_named(tmp_path: Path) -> None:
    urls = URLS + "\nfrom fx_app.models import Book\nBOOKS = Book.objects.count()\n"
    root = write_project(tmp_path, **{"fx_urls.py": urls})
    with pytest.raises(DjangoChildError) as caught:
        discover_django("fx_settings", pythonpath=[str(root)])
    assert caught.value.kind == "database"
    assert f"{root / 'fx_urls.py'}:" in caught.value.message
    assert "\n" not in caught.value.message


def test_a_swallowed_import_time_query_becomes_a_warning(tmp_path: Path) -> None:
    urls = URLS + (
        "\nfrom fx_app.models import Book\ntry:\n    Book.objects.count()\n"
        "except Exception:\n    pass\n"
    )
    root = write_project(tmp_path, **{"fx_urls.py": urls})
    scan = discover_django("fx_settings", pythonpath=[str(root)])
    assert scan.endpoint("api/ping/").methods == ("GET", "POST")
    assert any(str(root / "fx_urls.py") in w for w in scan.warnings), scan.warnings


def test_broken_settings_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_project(tmp_path, **{"fx_settings.py": "raise RuntimeError('SECRET unset')\n"})
    parser = argparse.ArgumentParser()
    cli_discover_django.add_parser(parser.add_subparsers())
    args = parser.parse_args(["django", "--settings", "fx_settings", "--pythonpath", str(root)])
    assert cli_discover_django.run(args) == 2
    err = capsys.readouterr().err
    assert err == "e2e-otel: error: settings fx_settings: RuntimeError: SECRET unset\n"


def test_a_missing_pythonpath_directory_is_named_not_the_interpreter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    cli_discover_django.add_parser(parser.add_subparsers())
    missing = tmp_path / "no-such-dir"
    args = parser.parse_args(["django", "--settings", "fx_settings", "--pythonpath", str(missing)])
    assert cli_discover_django.run(args) == 2
    err = capsys.readouterr().err
    assert err == f"e2e-otel: error: pythonpath directory {missing} does not exist\n"


def test_only_the_first_pythonpath_entry_must_be_a_directory(tmp_path: Path) -> None:
    # The URLconf lives in a zip further down the path, next to a directory that is gone:
    # Python's sys.path takes both, so the scan does too.
    root = write_project(tmp_path / "root")
    archive = tmp_path / "urls.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(root / "fx_urls.py", "fx_urls.py")
    (root / "fx_urls.py").unlink()
    entries = [str(root), str(tmp_path / "gone"), str(archive)]
    assert discover_django("fx_settings", pythonpath=entries).endpoint("graphql/").methods == ("*",)


def test_broken_urlconf_names_it(tmp_path: Path) -> None:
    root = write_project(tmp_path, **{"fx_urls.py": "import does_not_exist\n"})
    with pytest.raises(
        DjangoChildError, match=r"importing fx_urls: ModuleNotFoundError.*does_not_exist"
    ):
        discover_django("fx_settings", pythonpath=[str(root)])


# Views whose policy getters need a real user, and serializers kept as class attributes.
RUNTIME_VIEWS = """
from rest_framework import generics, permissions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView
from fx_app import serializers as s
from fx_app.models import Book

class RoleViewSet(viewsets.ModelViewSet):
    # A user model field read off an anonymous request: AttributeError in the scan.
    queryset = Book.objects.all()
    serializer_class = s.BookSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_permissions(self):
        if self.request.user.tier == "staff":
            return [permissions.IsAdminUser()]
        return super().get_permissions()

class OwnerView(generics.ListAPIView):
    serializer_class = s.BookSerializer
    permission_classes = [permissions.AllowAny]

    def get_throttles(self):
        return [] if Book.objects.exists() else super().get_throttles()  # queries

class ProfileApi(APIView):
    # No serializer_class: the override is all there is, and it needs a user.
    def get_serializer_class(self):
        return s.AuthorSerializer if self.request.user.tier == "author" else s.BookSerializer

    def get(self, request):
        return Response(self.get_serializer_class()(request.user).data)

class EchoApi(APIView):
    permission_classes = [permissions.AllowAny]

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=50)

    class OutputSerializer(serializers.Serializer):
        text = serializers.CharField()

    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self.reply(data.validated_data)

    def reply(self, data):
        return paginate(serializer_class=self.OutputSerializer, data=data)

class ShowApi(APIView):
    permission_classes = [permissions.AllowAny]

    def get(self, request):
        return Response(EchoApi.OutputSerializer({"text": "x"}).data)

def paginate(serializer_class, data):
    return Response(serializer_class(data).data)
"""


def test_a_policy_getter_failing_on_an_anonymous_request_is_a_warning(tmp_path: Path) -> None:
    urls = URLS + textwrap.dedent("""
        from fx_app import runtime
        roles = DefaultRouter()
        roles.register("roles", runtime.RoleViewSet, basename="role")
        urlpatterns += [path("run/", include(roles.urls)), path("owned/", runtime.OwnerView.as_view()),
                        path("profile/", runtime.ProfileApi.as_view())]
        """)
    root = write_project(tmp_path, **{"fx_app/runtime.py": RUNTIME_VIEWS, "fx_urls.py": urls})
    scan = discover_django("fx_settings", pythonpath=[str(root)])
    roles = scan.endpoint("run/roles/{pk}/")
    assert roles.methods == ("GET", "PUT", "PATCH", "DELETE")
    # What the view declares stands in for what get_permissions() would have chosen.
    assert roles.operation("PUT").permissions == (f"{PERMS}.IsAuthenticated",)
    assert roles.operation("PUT").serializer == "fx_app.serializers.BookSerializer"
    # Said once for the view, not once per method and route.
    [failed] = [w for w in scan.warnings if "RoleViewSet.get_permissions()" in w]
    assert "AttributeError" in failed and "permission_classes" in failed
    assert scan.endpoint("profile/").operation("GET").serializer is None
    [profile] = [w for w in scan.warnings if "ProfileApi.get_serializer_class()" in w]
    assert "no serializer listed" in profile
    owned = scan.endpoint("owned/").operation("GET")
    assert owned.permissions == (f"{PERMS}.AllowAny",)
    assert owned.throttles == ("rest_framework.throttling.AnonRateThrottle",)
    assert any("OwnerView.get_throttles()" in w for w in scan.warnings), scan.warnings
    # Refused at scan time, not at import time: the note does not say otherwise.
    assert not [w for w in scan.warnings if "import-time" in w], scan.warnings
    assert scan.endpoint("api/ping/").methods == ("GET", "POST")  # the rest is scanned


def test_handler_serializers_kept_on_the_view_class(tmp_path: Path) -> None:
    urls = URLS + textwrap.dedent("""
        from fx_app import runtime
        urlpatterns += [path("echo/", runtime.EchoApi.as_view()),
                        path("show/", runtime.ShowApi.as_view())]
        """)
    root = write_project(tmp_path, **{"fx_app/runtime.py": RUNTIME_VIEWS, "fx_urls.py": urls})
    scan = discover_django("fx_settings", pythonpath=[str(root)])
    echo = scan.endpoint("echo/").operation("POST")
    # self.InputSerializer(...) in the handler; self.OutputSerializer handed to a helper from
    # a method of the view the handler calls.
    assert echo.handler_serializers == (
        "fx_app.runtime.EchoApi.InputSerializer",
        "fx_app.runtime.EchoApi.OutputSerializer",
    )
    text = scan.serializers["fx_app.runtime.EchoApi.InputSerializer"].field("text")
    assert text.options["max_length"] == 50
    show = scan.endpoint("show/").operation("GET")  # another view's nested serializer
    assert show.handler_serializers == ("fx_app.runtime.EchoApi.OutputSerializer",)


ANONYMOUS_VIEWS = """
from rest_framework import permissions, viewsets
from fx_app import serializers as s
from fx_app.models import Book

class SignupOrUser(permissions.BasePermission):
    # Anyone may create (sign up); everything else needs a user.
    def has_permission(self, request, view):
        return view.action == "create" or request.user.is_authenticated

class OwnerOnly(permissions.BasePermission):
    def has_object_permission(self, request, view, obj):
        return obj.title == str(request.user)

class AccountViewSet(viewsets.ModelViewSet):
    queryset = Book.objects.all()
    serializer_class = s.BookSerializer
    permission_classes = [SignupOrUser]

class OwnedViewSet(viewsets.ModelViewSet):
    queryset = Book.objects.all()
    serializer_class = s.BookSerializer
    permission_classes = [OwnerOnly]

"""


def test_whether_an_anonymous_request_gets_through_is_asked_of_the_permissions(
    tmp_path: Path,
) -> None:
    urls = URLS + textwrap.dedent("""
        from fx_app import anon
        more = DefaultRouter()
        more.register("accounts", anon.AccountViewSet, basename="account")
        more.register("owned", anon.OwnedViewSet, basename="owned")
        urlpatterns += [path("anon/", include(more.urls))]
        """)
    root = write_project(tmp_path, **{"fx_app/anon.py": ANONYMOUS_VIEWS, "fx_urls.py": urls})
    scan = discover_django("fx_settings", pythonpath=[str(root)])
    accounts = scan.endpoint("anon/accounts/")
    assert accounts.operation("POST").anonymous is True  # the signup
    assert accounts.operation("GET").anonymous is False
    # Its has_permission() lets everyone in, but it checks objects too.
    owned = scan.endpoint("anon/owned/{pk}/").operation("PATCH")
    assert (owned.anonymous, owned.object_checks) == (True, True)
    assert accounts.operation("POST").object_checks is False
    books = scan.endpoint("api/books/").operation("POST")
    assert (books.permissions, books.anonymous) == ((f"{PERMS}.IsAuthenticated",), False)
