"""Next.js routes: App Router and Pages Router features on the shop fixture and on small apps
written per test; the ``discover nextjs`` command line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from e2e_otel.cli import discover as cli_discover
from e2e_otel.discovery.nextjs import scan
from e2e_otel.discovery.nextjs_models import NextjsApp, NotNextjsAppError, Route, Segment

SHOP = Path(__file__).resolve().parents[1] / "fixtures" / "nextjs-shop"


@pytest.fixture(scope="module")
def shop() -> NextjsApp:
    return scan(SHOP)


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def route(app: NextjsApp, file: str) -> Route:
    matches = [r for r in app.routes if r.file == file]
    assert len(matches) == 1, f"{file}: {[r.file for r in app.routes]}"
    return matches[0]


def test_shop_has_both_routers_under_src(shop: NextjsApp) -> None:
    assert (shop.app_dir, shop.pages_dir) == ("src/app", "src/pages")
    assert len(shop.routes) >= 25
    assert {r.router for r in shop.routes} == {"app", "pages"}
    assert shop.problems == ()


def test_route_groups_add_no_segment(shop: NextjsApp) -> None:
    products = route(shop, "src/app/(shop)/products/page.tsx")
    assert (products.path, products.kind, products.dynamic) == ("/products", "page", False)
    assert route(shop, "src/app/(marketing)/about/page.tsx").path == "/about"
    assert route(shop, "src/app/(auth)/layout.tsx").path == "/"
    assert not any("(" in r.path for r in shop.routes if r.intercepts is None)


def test_dynamic_catch_all_and_optional_catch_all_segments(shop: NextjsApp) -> None:
    detail = route(shop, "src/app/(shop)/products/[id]/page.tsx")
    assert detail.path == "/products/[id]"
    assert detail.segments == (Segment("static", "products"), Segment("dynamic", "id"))
    assert detail.dynamic
    category = route(shop, "src/app/(shop)/categories/[...slug]/page.tsx")
    assert category.segments[-1] == Segment("catch_all", "slug")
    search = route(shop, "src/app/(shop)/search/[[...filters]]/page.tsx")
    assert (search.path, search.segments[-1].kind) == (
        "/search/[[...filters]]",
        "optional_catch_all",
    )
    docs = route(shop, "src/pages/docs/[...slug].jsx")
    assert (docs.path, docs.router, docs.dynamic) == ("/docs/[...slug]", "pages", True)
    assert route(shop, "src/pages/help/[[...topic]].js").segments[-1].kind == "optional_catch_all"


def test_layouts_are_layouts_not_pages(shop: NextjsApp) -> None:
    layouts = {r.file for r in shop.routes if r.kind == "layout"}
    assert "src/app/layout.tsx" in layouts
    assert "src/app/admin/layout.tsx" in layouts
    assert all(r.kind == "page" for r in shop.routes if r.file.endswith("/page.tsx"))
    assert route(shop, "src/app/admin/layout.tsx").path == "/admin"


def test_parallel_slots_render_at_the_parent_path(shop: NextjsApp) -> None:
    stats = route(shop, "src/app/admin/@stats/page.tsx")
    assert (stats.path, stats.slot) == ("/admin", "stats")
    assert route(shop, "src/app/admin/page.tsx").slot is None
    assert not any("@" in r.path for r in shop.routes)
    assert not any(r.file.endswith("default.tsx") for r in shop.routes)


def test_intercepting_route_is_marked_with_the_url_it_intercepts(shop: NextjsApp) -> None:
    modal = route(shop, "src/app/@modal/(.)products/[id]/page.tsx")
    assert (modal.path, modal.slot, modal.intercepts) == ("/products/[id]", "modal", "(.)")
    own = [r for r in shop.routes if r.path == "/products/[id]" and r.intercepts is None]
    assert [r.file for r in own if r.router == "app"] == ["src/app/(shop)/products/[id]/page.tsx"]


def test_private_folders_and_special_pages_are_not_routes(shop: NextjsApp) -> None:
    files = {r.file for r in shop.routes}
    assert "src/app/_internal/page.tsx" not in files
    assert not any("_components" in f for f in files)
    assert not files & {"src/pages/_app.tsx", "src/pages/_document.tsx", "src/pages/_error.tsx"}
    assert route(shop, "src/pages/blog/index.tsx").path == "/blog"
    assert route(shop, "src/pages/404.tsx").path == "/404"


def test_api_routes_and_their_methods(shop: NextjsApp) -> None:
    assert route(shop, "src/app/api/health/route.ts").methods == ("GET",)
    cart = route(shop, "src/app/api/bff/cart/route.ts")
    assert (cart.kind, cart.path, cart.methods) == ("api", "/api/bff/cart", ("GET", "POST"))
    newsletter = route(shop, "src/pages/api/newsletter.ts")
    assert (newsletter.kind, newsletter.methods) == ("api", ("POST",))
    assert route(shop, "src/pages/api/webhooks/[...path].ts").methods == ("POST", "PUT")
    assert route(shop, "src/pages/blog/[slug].tsx").kind == "page"


def test_dependencies_resolve_relative_and_alias_imports(shop: NextjsApp) -> None:
    deps = {
        d.specifier: d.file for d in route(shop, "src/app/(shop)/products/page.tsx").dependencies
    }
    assert (
        deps["./_components/ProductGrid"] == "src/app/(shop)/products/_components/ProductGrid.tsx"
    )
    assert deps["@/lib/fetcher"] == "src/lib/fetcher.ts"
    assert deps["swr"] is None


def test_route_calls_include_calls_of_imported_files(shop: NextjsApp) -> None:
    login = route(shop, "src/app/(auth)/login/page.tsx")
    assert login.calls == ("src/lib/auth.ts:12", "src/lib/auth.ts:22", "src/lib/auth.ts:27")
    detail = route(shop, "src/app/(shop)/products/[id]/page.tsx")
    assert "src/components/AddToCartButton.tsx:11" in detail.calls
    assert route(shop, "src/app/(marketing)/about/page.tsx").calls == ()


def test_root_router_dirs_win_over_src_and_interception_levels(tmp_path: Path) -> None:
    page = "export default function P() { return null }\n"
    write(
        tmp_path,
        {
            "app/page.tsx": page,
            "app/feed/[post]/(..)photo/[id]/page.tsx": page,
            "app/feed/(...)login/page.tsx": page,
            "app/a/b/(..)(..)c/page.tsx": page,
            "app/%5Fhidden/page.tsx": page,
            "src/app/ignored/page.tsx": page,
        },
    )
    app = scan(tmp_path)
    assert app.app_dir == "app"
    found = {r.file.split("/", 1)[1]: (r.path, r.intercepts) for r in app.routes}
    assert found == {
        "page.tsx": ("/", None),
        "feed/[post]/(..)photo/[id]/page.tsx": ("/feed/photo/[id]", "(..)"),
        "feed/(...)login/page.tsx": ("/login", "(...)"),
        "a/b/(..)(..)c/page.tsx": ("/c", "(..)(..)"),
        "%5Fhidden/page.tsx": ("/_hidden", None),
    }


def test_syntax_error_is_reported_and_the_rest_scanned(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pages/broken.tsx": "export default function B( {\n  return <p>\n}\n",
            "pages/fine.tsx": "export default function F() { fetch('/api/products/'); }\n",
        },
    )
    app = scan(tmp_path)
    assert [(p.file, p.line is not None) for p in app.problems] == [("pages/broken.tsx", True)]
    assert {r.path for r in app.routes} == {"/broken", "/fine"}
    assert [c.location for c in app.calls] == ["pages/fine.tsx:1"]


def test_missing_dir_and_non_next_dir_raise(tmp_path: Path) -> None:
    with pytest.raises(NotNextjsAppError, match="no such directory"):
        scan(tmp_path / "nope")
    with pytest.raises(NotNextjsAppError, match=r"not a Next\.js app"):
        scan(tmp_path)


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="e2e-otel")
    cli_discover.add_parser(parser.add_subparsers(dest="command"))
    return cli_discover.run(parser.parse_args(list(argv)))


def test_cli_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("discover", "nextjs", str(SHOP)) == 0
    out, err = capsys.readouterr()
    assert "/products/[id]" in out
    assert "src/app/admin/@stats/page.tsx:10" in out
    assert "unresolved: statusUrl(topic)" in out
    assert "34 routes" in err


def test_cli_writes_json(tmp_path: Path, shop: NextjsApp) -> None:
    target = tmp_path / "out" / "nextjs.json"
    assert run_cli("discover", "nextjs", str(SHOP), "--json", str(target)) == 0
    data = json.loads(target.read_text(encoding="utf-8"))
    assert len(data["routes"]) == len(shop.routes)
    modal = next(r for r in data["routes"] if r["intercepts"] == "(.)")
    assert (modal["path"], modal["dynamic"], modal["slot"]) == ("/products/[id]", True, "modal")
    call = next(c for c in data["calls"] if c["file"] == "src/app/admin/@stats/page.tsx")
    assert call["url"]["base"]["env"] == "NEXT_PUBLIC_API_URL"
    assert (call["method"], call["url"]["path"], call["credentials"]) == (
        "GET",
        "/api/admin/stats/",
        False,
    )


def test_cli_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("discover", "nextjs", str(tmp_path / "missing")) == 2
    assert run_cli("discover", "nextjs", str(tmp_path)) == 2
    blocked = tmp_path / "file"
    blocked.write_text("x", encoding="utf-8")
    assert run_cli("discover", "nextjs", str(SHOP), "--json", str(blocked / "out.json")) == 2
    assert run_cli("discover") == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[1].strip() for line in err if "error" in line] == ["error"] * 4
    assert "no such directory" in err[0] and "not a Next.js app" in err[1]
