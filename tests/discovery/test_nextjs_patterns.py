"""Patterns of real Next.js apps (tests/fixtures/nextjs-patterns): environment constants
without a fallback, ``&`` in JSX text, wrappers handed out by a React context or a hook,
URLs chosen by a condition, delegated Pages Router handlers, vendored files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from e2e_otel.discovery.nextjs import scan
from e2e_otel.discovery.nextjs_models import ApiCall, NextjsApp, to_dict
from tests.discovery.test_nextjs import route, run_cli, write

PATTERNS = Path(__file__).resolve().parents[1] / "fixtures" / "nextjs-patterns"


@pytest.fixture(scope="module")
def app() -> NextjsApp:
    return scan(PATTERNS)


def calls_at(app: NextjsApp, location: str) -> list[ApiCall]:
    found = [c for c in app.calls if c.location == location]
    assert found, f"{location}: {[c.location for c in app.calls]}"
    return found


def summary(call: ApiCall) -> tuple[str | None, str | None, str | None]:
    base = call.url.base
    return call.method, call.url.path, base.env if base is not None else None


def test_env_constant_without_fallback_is_the_base(app: NextjsApp) -> None:
    # const API_URL = process.env.NEXT_PUBLIC_API_URL, exported from src/lib/config.ts
    (faq,) = calls_at(app, "src/app/page.tsx:4")
    assert summary(faq) == ("GET", "/api/faq/", "NEXT_PUBLIC_API_URL")
    assert faq.url.base is not None and faq.url.base.literal is None
    # const { NEXT_PUBLIC_UPLOADS_URL } = process.env / process.env["NEXT_PUBLIC_STATUS_URL"]
    (status,) = calls_at(app, "src/hooks/useApi.ts:14")
    assert summary(status) == ("GET", "/status.json", "NEXT_PUBLIC_STATUS_URL")
    (upload,) = calls_at(app, "src/app/orders/page.tsx:23")
    assert summary(upload) == ("GET", "/files/invoice.pdf", "NEXT_PUBLIC_UPLOADS_URL")


def test_env_constant_forms_in_one_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pages/index.tsx": (
                "const A = process.env.NEXT_PUBLIC_A;\n"
                'const B = process.env["NEXT_PUBLIC_B"];\n'
                "const { NEXT_PUBLIC_C } = process.env;\n"
                "const { NEXT_PUBLIC_D: D } = process.env;\n"
                "export default function P() {\n"
                "  fetch(`${A}/a/`); fetch(`${B}/b/`); fetch(`${NEXT_PUBLIC_C}/c/`);\n"
                "  fetch(D + '/d/');\n"
                "}\n"
            )
        },
    )
    found = [(c.url.path, c.url.base.env if c.url.base else None) for c in scan(tmp_path).calls]
    assert found == [
        ("/a/", "NEXT_PUBLIC_A"),
        ("/b/", "NEXT_PUBLIC_B"),
        ("/c/", "NEXT_PUBLIC_C"),
        ("/d/", "NEXT_PUBLIC_D"),
    ]


def test_ampersand_in_jsx_text_does_not_break_the_file(app: NextjsApp) -> None:
    # <h1>Q & A</h1>, R&D, "Sales & support" around and after the calls
    assert [p.file for p in app.problems] == ["src/app/notes/page.tsx"]
    assert summary(calls_at(app, "src/app/page.tsx:20")[0])[1] == "/api/footer-links/"


@pytest.mark.parametrize(
    "jsx",
    [
        "<p>R&D, shipping</p>",
        "<>Q & A {n}</>",
        "<p>a && b & c &amp; d</p>",
        "<b>&&&</b>",
        # In an attribute's string too: a query string in an image or link URL.
        '<img src="https://cdn.example/logo.svg?color=indigo&shade=600" alt="x" />',
        '<a href="/search?q=a&page=2&sort=new">next</a>',
    ],
)
def test_bare_ampersands_in_jsx_text_parse(tmp_path: Path, jsx: str) -> None:
    write(
        tmp_path,
        {
            "app/page.jsx": "export default function P({ n }) {\n"
            f"  return {jsx};\n"
            "}\n"
            "fetch('/api/after/');\n"
        },
    )
    app = scan(tmp_path)
    assert (app.problems, [c.location for c in app.calls]) == ((), ["app/page.jsx:4"])


def test_a_syntax_error_loses_only_the_calls_it_covers(app: NextjsApp) -> None:
    (problem,) = app.problems
    assert (problem.file, problem.line, problem.partial) == ("src/app/notes/page.tsx", 6, True)
    assert "1 call there skipped" in problem.message
    notes = [c.url.path for c in app.calls if c.file == "src/app/notes/page.tsx"]
    assert notes == ["/api/notes/", "/api/tags/"]
    assert route(app, "src/app/notes/page.tsx").path == "/notes"
    counts = to_dict(app)["summary"]
    assert counts == {
        "files": 12,
        "partially_read": 1,
        "unreadable": 0,
        "skipped_not_source": 3,
        "routes": 7,
        "calls": len(app.calls),
    }


def test_wrapper_from_a_react_context(app: NextjsApp) -> None:
    # const { authFetch } = useAuth() / auth.authFetch(...), authFetch a useCallback in the
    # provider, passed down through value={useMemo(...)}
    (place,) = calls_at(app, "src/app/orders/page.tsx:12")
    assert summary(place) == ("POST", "/api/orders/", "NEXT_PUBLIC_API_URL")
    assert place.credentials_via == ("Authorization header",)
    assert place.via == ("authFetch (src/context/AuthContext.tsx:21)",)
    (cancel,) = calls_at(app, "src/app/orders/page.tsx:16")
    assert summary(cancel) == ("POST", "/api/orders/{id}/cancel/", "NEXT_PUBLIC_API_URL")
    wrapper = next(w for w in app.wrappers if w.name == "authFetch")
    assert (wrapper.file, wrapper.uses) == ("src/context/AuthContext.tsx", 3)


def test_wrappers_returned_by_a_hook(app: NextjsApp) -> None:
    # const { get: getFile, remove } = useApi()
    (remove,) = calls_at(app, "src/app/orders/page.tsx:24")
    assert summary(remove) == ("DELETE", "/files/invoice.pdf", "NEXT_PUBLIC_UPLOADS_URL")
    (get,) = calls_at(app, "src/app/orders/page.tsx:23")
    assert (get.credentials, get.via) == (True, ("get (src/hooks/useApi.ts:5)",))


def test_context_value_object_and_hook_returning_a_function(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "context/auth.js": (
                "import { createContext, useContext } from 'react';\n"
                "const Ctx = createContext();\n"
                "export function AuthProvider({ children, token }) {\n"
                "  const authFetch = (url, opts) =>\n"
                "    fetch(url, { ...opts, headers: { Authorization: token } });\n"
                "  return <Ctx.Provider value={{ authFetch }}>{children}</Ctx.Provider>;\n"
                "}\n"
                "export const useAuth = () => useContext(Ctx);\n"
                "export function useGetter() {\n"
                "  return (path) => fetch(`${process.env.NEXT_PUBLIC_API}${path}`);\n"
                "}\n"
            ),
            "pages/index.js": (
                "import { useAuth, useGetter } from '../context/auth';\n"
                "export default function Home() {\n"
                "  const { authFetch } = useAuth();\n"
                "  const get = useGetter();\n"
                "  authFetch(`${process.env.NEXT_PUBLIC_API}/api/me/`, { method: 'PATCH' });\n"
                "  get('/api/news/');\n"
                "}\n"
            ),
        },
    )
    me, news = scan(tmp_path).calls
    assert (summary(me), me.credentials) == (("PATCH", "/api/me/", "NEXT_PUBLIC_API"), True)
    assert summary(news) == ("GET", "/api/news/", "NEXT_PUBLIC_API")


def test_swr_key_behind_a_condition(app: NextjsApp) -> None:
    (user,) = calls_at(app, "src/app/profile/page.tsx:11")  # user ? `/api/users/${id}/` : null
    assert (user.url.path, user.url.params, user.condition) == ("/api/users/{id}/", ("id",), None)
    (settings,) = calls_at(app, "src/app/profile/page.tsx:12")  # user && `${API_URL}/...`
    assert summary(settings) == ("GET", "/api/settings/", "NEXT_PUBLIC_API_URL")


def test_url_constant_chosen_by_a_ternary_gives_a_call_per_branch(app: NextjsApp) -> None:
    # const endpoint = user?.staff ? PRIVATE_PROFILE : PUBLIC_PROFILE; useSWR(endpoint)
    branches = calls_at(app, "src/app/profile/page.tsx:14")
    assert [(c.url.path, c.condition) for c in branches] == [
        ("/api/profiles/me/", "user?.staff"),
        ("/api/profiles/public/", "!user?.staff"),
    ]
    assert all(c.url.expression == "endpoint" for c in branches)
    page = route(app, "src/app/profile/page.tsx")
    assert page.calls.count("src/app/profile/page.tsx:14") == 1


def test_ternaries_in_a_template_and_an_empty_fallback(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pages/index.ts": (
                "const origin = process.env.NEXT_PUBLIC_API ? process.env.NEXT_PUBLIC_API : '';\n"
                "export default function P(kind: string, page: number) {\n"
                "  fetch(`${origin}/api/${kind === 'a' ? 'alpha' : 'beta'}/`);\n"
                "  fetch(`/api/list/?page=${page > 1 ? page : ''}`);\n"
                "}\n"
            )
        },
    )
    found = [(c.url.path, c.condition, summary(c)[2]) for c in scan(tmp_path).calls]
    assert found == [
        ("/api/alpha/", "kind === 'a'", "NEXT_PUBLIC_API"),
        ("/api/beta/", "!(kind === 'a')", "NEXT_PUBLIC_API"),
        ("/api/list/", None, None),  # the condition only changes the query: one call
    ]


def test_delegated_pages_api_handler_methods(app: NextjsApp) -> None:
    # export default (req, res) => handleOrders(req, res), handleOrders imported
    assert route(app, "src/pages/api/orders.ts").methods == ("GET", "POST")
    # export { default } from "@/lib/handlers/refunds"
    assert route(app, "src/pages/api/refunds.ts").methods == ("PUT",)


def test_vendored_files_are_skipped_and_counted(app: NextjsApp) -> None:
    assert [(s.file, s.reason) for s in app.skipped] == [
        ("public/sw.js", "in public/ (served as is)"),
        ("public/workbox-4b1c.js", "in public/ (served as is)"),
        ("src/vendor/chart.min.js", "bundle or service worker"),
    ]
    assert not [c for c in app.calls if c.file.startswith(("public/", "src/vendor/"))]
    everything = scan(PATTERNS, include_vendored=True)
    assert everything.skipped == ()
    vendored = {c.url.path for c in everything.calls if c.file.startswith(("public/", "src/"))}
    assert {"/api/precache-manifest/", "/api/workbox-ping/", "/api/vendor-beacon/"} <= vendored


def test_minified_file_is_skipped_but_imports_of_it_resolve(tmp_path: Path) -> None:
    statements = "".join(f"var a{i}=fetch('/api/x{i}/');" for i in range(200))
    write(
        tmp_path,
        {
            "lib/tracker.js": statements + "\nexport const t=1;\n",
            "lib/icon.js": "export const d = '"
            + "M0 0L1 1" * 400
            + "';\nfetch('/api/i/');\n"
            + "// an ordinary file with one long line\n" * 20,
            "pages/index.js": "import { t } from '../lib/tracker';\nfetch('/api/home/');\n",
        },
    )
    app = scan(tmp_path)
    assert [(s.file, s.reason) for s in app.skipped] == [
        ("lib/tracker.js", "minified (very long lines)")
    ]
    assert [c.url.path for c in app.calls] == ["/api/i/", "/api/home/"]
    assert route(app, "pages/index.js").dependencies[0].file == "lib/tracker.js"
    assert app.files == 2


def test_cli_shows_file_counts_conditions_and_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("discover", "nextjs", str(PATTERNS)) == 0
    out, err = capsys.readouterr()
    counts = "1 partially read (syntax errors), 0 unreadable, 3 skipped as not app source"
    assert f"Files: {counts}" in out and counts in err
    assert "Not scanned as app source (3; --include-vendored scans them)" in out
    assert "/api/profiles/public/  (when !user?.staff)" in out
    target = tmp_path / "all.json"
    assert (
        run_cli("discover", "nextjs", str(PATTERNS), "--include-vendored", "--json", str(target))
        == 0
    )
    data = json.loads(target.read_text(encoding="utf-8"))
    assert (data["summary"]["skipped_not_source"], data["skipped"]) == (0, [])
    assert data["problems"][0]["partial"] is True
