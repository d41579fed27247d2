"""The Next.js side of the map: which of the app's routes serves a relative call when several
match (Next.js ranks static segments before dynamic ones before catch-alls), and the files of
its ``public/`` folder, which it serves itself."""

from __future__ import annotations

from pathlib import Path

from e2e_otel.contract.build import build_map
from e2e_otel.contract.match import Matcher
from e2e_otel.discovery.django_models import DjangoDiscovery
from e2e_otel.discovery.nextjs import scan
from e2e_otel.discovery.nextjs_models import Route, Segment, SegmentKind
from tests.contract.test_match import PRODUCTS, call

NO_DJANGO = DjangoDiscovery("s", "5.2", None, (), {})


def api_route(path: str, *methods: str) -> Route:
    segments = []
    for name in path.strip("/").split("/"):
        kind: SegmentKind = "static"
        if name.startswith("[[..."):
            kind, name = "optional_catch_all", name[5:-2]
        elif name.startswith("[..."):
            kind, name = "catch_all", name[4:-1]
        elif name.startswith("["):
            kind, name = "dynamic", name[1:-1]
        segments.append(Segment(kind, name))
    file = f"app{path}/route.ts"
    return Route(path, "app", "api", file, tuple(segments), methods)


def served_by(routes: list[Route], path: str, method: str) -> tuple[str, str | None]:
    found = Matcher(PRODUCTS, routes).match(call(path, method, base=None))
    return found.verdict, found.nextjs_route.path if found.nextjs_route else None


def test_a_static_route_wins_over_its_dynamic_sibling_listed_first() -> None:
    routes = [api_route("/api/users/[userId]", "GET"), api_route("/api/users/stripe", "POST")]
    assert served_by(routes, "/api/users/stripe", "POST") == ("ok", "/api/users/stripe")
    assert served_by(routes, "/api/users/42", "GET") == ("ok", "/api/users/[userId]")
    assert served_by(routes, "/api/users/42", "POST")[0] == "method_not_allowed"


def test_catch_alls_rank_below_dynamic_segments() -> None:
    routes = [
        api_route("/api/[...rest]", "DELETE"),
        api_route("/api/items/[[...parts]]", "PUT"),
        api_route("/api/items/[id]", "GET"),
        api_route("/api/items", "POST"),
    ]
    assert served_by(routes, "/api/items/7", "GET") == ("ok", "/api/items/[id]")
    assert served_by(routes, "/api/items", "POST") == ("ok", "/api/items")
    assert served_by(routes, "/api/items/7/notes", "PUT") == ("ok", "/api/items/[[...parts]]")
    assert served_by(routes, "/api/other/7", "DELETE") == ("ok", "/api/[...rest]")


def test_files_in_public_are_served_by_nextjs(tmp_path: Path) -> None:
    page = tmp_path / "app" / "page.tsx"
    page.parent.mkdir(parents=True)
    page.write_text(
        "export default async function Page() {\n"
        '  await fetch("/pwa/manifest.json");\n'
        '  await fetch("/pwa/missing.json");\n'
        "  return null;\n}\n"
    )
    manifest = tmp_path / "public" / "pwa" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text("{}")
    contract = build_map(scan(tmp_path), NO_DJANGO)
    verdicts = {m.path: (m.verdict, m.target) for m in contract.calls}
    assert verdicts == {
        "/pwa/manifest.json": ("ok", "nextjs"),
        "/pwa/missing.json": ("not_found", "django"),
    }
