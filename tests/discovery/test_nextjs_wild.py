"""Patterns met in public Next.js apps with a separate API backend, each as a small fixture
of its own: wrappers around an axios instance, SWR fetchers with rest parameters, TypeScript
import types."""

from __future__ import annotations

from pathlib import Path

from e2e_otel.discovery.nextjs import scan
from tests.discovery.test_nextjs import write

AXIOS_INSTANCE = (
    "import axios from 'axios';\n"
    "const api = axios.create({ baseURL: process.env.NEXT_PUBLIC_API_URL });\n"
    "export default api;\n"
)


def test_axios_instance_wrapper_joins_base_and_url_with_one_slash(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "lib/http.js": AXIOS_INSTANCE,
            "lib/get.js": (
                "import api from './http';\n"
                "export const get = (url) => api.get(url);\n"
                "export const fetcher = async ({ path }) => (await api.get(`${path}`)).data;\n"
            ),
            "pages/index.js": (
                "import useSWR from 'swr';\n"
                "import api from '../lib/http';\n"
                "import { get, fetcher } from '../lib/get';\n"
                "export default function Home() {\n"
                "  get('/books/');\n"
                "  get('authors/');\n"
                "  useSWR({ path: '/shelves/' }, fetcher);\n"
                "  useSWR('/tags/', (key) => api.get(key));\n"
                "  get('https://cdn.example.com/x.json');\n"
                "  get(flag ? '/on/' : '/off/');\n"
                "  return null;\n"
                "}\n"
            ),
        },
    )
    found = [
        (
            c.url.path,
            c.url.base.env if c.url.base else None,
            c.url.base.literal if c.url.base else None,
        )
        for c in scan(tmp_path).calls
        if c.file == "pages/index.js"
    ]
    env = "NEXT_PUBLIC_API_URL"
    assert found == [
        ("/books/", env, None),
        ("/authors/", env, None),
        ("/shelves/", env, None),
        ("/tags/", env, None),
        ("/x.json", None, "https://cdn.example.com"),
        ("/on/", env, None),
        ("/off/", env, None),
    ]


def test_rest_parameter_spread_into_fetch_is_a_wrapper(tmp_path: Path) -> None:
    # SWR's documented fetcher: (...args) => fetch(...args).then((res) => res.json())
    write(
        tmp_path,
        {
            "app/page.jsx": (
                "import useSWR from 'swr';\n"
                "const fetcher = (...args) => fetch(...args).then((res) => res.json());\n"
                "const send = (url, ...rest) => fetch(url, ...rest);\n"
                "export default function Page() {\n"
                "  const { data } = useSWR('/api/hello/', fetcher);\n"
                "  fetcher('/api/items/', { method: 'POST', credentials: 'include' });\n"
                "  send('/api/orders/', { method: 'DELETE' });\n"
                "  return null;\n"
                "}\n"
            )
        },
    )
    app = scan(tmp_path)
    found = [(c.line, c.method, c.url.path, c.credentials, c.via) for c in app.calls]
    assert found == [
        (5, "GET", "/api/hello/", False, ("useSWR", "fetcher (app/page.jsx:2)")),
        (6, "POST", "/api/items/", True, ("fetcher (app/page.jsx:2)",)),
        (7, "DELETE", "/api/orders/", False, ("send (app/page.jsx:3)",)),
    ]
    assert [(w.name, w.uses) for w in app.wrappers] == [("fetcher", 2), ("send", 1)]


def test_import_types_before_brackets_parse(tmp_path: Path) -> None:
    # `import("./types").Item[]` as a type argument or return type: the grammar fails there
    write(
        tmp_path,
        {
            "lib/http.ts": AXIOS_INSTANCE,
            "lib/types.ts": "export type Item = { id: number };\n",
            "lib/items.ts": (
                "import api from './http';\n"
                "export const list = async (): Promise<import('./types').Item[]> => {\n"
                "  const r = await api.get<import('./types').Item[]>('/items/');\n"
                "  return r.data;\n"
                "};\n"
                "export const one = async (id: number) => {\n"
                '  const r = await api.get<{ item: import("./types").Item["id"] }>(`/items/${id}/`);\n'
                "  return r.data;\n"
                "};\n"
                "export const later = () => import('./http').then(() => fetch('/late/'));\n"
            ),
            "app/page.tsx": "import { list } from '../lib/items';\nexport default list;\n",
        },
    )
    app = scan(tmp_path)
    assert app.problems == ()
    found = [(c.line, c.method, c.url.path) for c in app.calls]
    assert found == [(3, "GET", "/items/"), (7, "GET", "/items/{id}/"), (10, "GET", "/late/")]
    (page,) = app.routes
    assert [d.specifier for d in page.dependencies] == ["../lib/items"]
    assert len(page.calls) == 3


def test_url_builder_functions_and_an_absolute_url_pass_through(tmp_path: Path) -> None:
    # A generated API client: URL builders, one fetch wrapper that passes absolute URLs
    # through and puts a base chosen on the server or in the browser before the rest.
    write(
        tmp_path,
        {
            "src/lib/client.ts": (
                "const BASE = typeof window === 'undefined'\n"
                "  ? process.env.INTERNAL_API_URL : process.env.NEXT_PUBLIC_API_URL;\n"
                "export async function request<T>(url: string, options?: RequestInit): Promise<T> {\n"
                "  const full = url.startsWith('http') ? url : `${BASE}${url}`;\n"
                "  const res = await fetch(full, { ...options, credentials: 'include' });\n"
                "  return res.json();\n"
                "}\n"
            ),
            "src/api/books.ts": (
                "import { request } from '../lib/client';\n"
                "export const getBooksUrl = (params?: Record<string, string>) => {\n"
                "  const q = new URLSearchParams(params).toString();\n"
                "  return q.length > 0 ? `/api/books/?${q}` : `/api/books/`;\n"
                "};\n"
                "export function getBookUrl(id: number) {\n"
                "  return `/api/books/${id}/`;\n"
                "}\n"
                "export const listBooks = (params?: Record<string, string>) =>\n"
                "  request(getBooksUrl(params), { method: 'GET' });\n"
                "export const deleteBook = (id: number) =>\n"
                "  request(getBookUrl(id), { method: 'DELETE' });\n"
                "export const cover = () => request('https://img.example.com/c.png');\n"
            ),
            "src/app/page.tsx": "export default function P() { return null; }\n",
        },
    )
    app = scan(tmp_path)
    found = [
        (c.line, c.method, c.url.path, c.url.query, c.url.base.env if c.url.base else None)
        for c in app.calls
        if c.file == "src/api/books.ts"
    ]
    assert found == [
        (10, "GET", "/api/books/", "{q}", "INTERNAL_API_URL"),
        (10, "GET", "/api/books/", "{q}", "NEXT_PUBLIC_API_URL"),
        (12, "DELETE", "/api/books/{id}/", None, "INTERNAL_API_URL"),
        (12, "DELETE", "/api/books/{id}/", None, "NEXT_PUBLIC_API_URL"),
        (13, "GET", "/c.png", None, None),
    ]
    conditions = {c.condition for c in app.calls if c.line in (10, 12)}
    assert conditions == {"typeof window === 'undefined'", "!(typeof window === 'undefined')"}
    assert all(c.credentials for c in app.calls)
    (wrapper,) = app.wrappers
    assert (wrapper.name, wrapper.uses) == ("request", 3)
