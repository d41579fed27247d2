"""The browser's spans (``e2e.layer=frontend``, from ``@e2e-otel/web``) as the frontend rules
read them: fetches, renders, web vitals, navigations and workflows, with their parent links.

:class:`Dataset.entries <.dataset.Dataset>` keeps one small record per request; the frontend
rules also need what a browser span says about itself (the URL of a fetch, the component of a
render, the value of a vital) and which span it sits under, so the builder keeps one
:class:`BrowserSpan` per frontend span. There are few of them (a page view makes tens), so a
named tuple each is cheap.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

from e2e_otel import attributes as attr
from e2e_otel.sources.models import AttributeValue

# A path segment that is a number, a UUID or a long hex id names one object: templated away.
_ID_SEGMENT = re.compile(
    r"\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{16,}"
)
UNKNOWN_PAGE = "(page unknown)"


class BrowserSpan(NamedTuple):
    """One frontend span. ``span``/``parent`` are 64-bit span ids (``parent`` 0 at a root);
    ``target``: the fetch's ``url.full``, the render's component, the vital's name, or the
    page (``url.path``, else ``e2e.navigation.to``, else the path of ``url.full``)."""

    trace: int  # index into Dataset.trace_ids
    span: int
    parent: int
    name: str
    kind: str
    service: str
    workflow: str
    workflow_id: str
    target: str
    method: str  # http.request.method of a fetch
    value: float  # browser.web_vital.value of a vital
    page: str  # url.path of the span, when it has one
    category: str  # e2e.error.category
    start_ns: int
    end_ns: int

    @property
    def duration_ns(self) -> int:
        return max(self.end_ns - self.start_ns, 0)

    @property
    def is_fetch(self) -> bool:
        return self.kind == "client" and bool(self.method)

    @property
    def is_render(self) -> bool:
        return self.name.startswith("render ")

    @property
    def is_vital(self) -> bool:
        return self.name.startswith("web-vital ")

    @property
    def is_workflow(self) -> bool:
        return self.name.startswith("workflow ") and self.kind != "client"

    @property
    def is_page_load(self) -> bool:
        """A hard navigation (the document load span of the OpenTelemetry web instrumentation)."""
        return self.name == "documentLoad"


def browser_span(
    a: Mapping[str, AttributeValue],
    name: str,
    kind: str,
    service: str,
    start_ns: int,
    end_ns: int,
    ids: tuple[int, int, int],
) -> BrowserSpan:
    """The :class:`BrowserSpan` of a frontend span: its attributes ``a``, the span's fields it
    keeps, and ``ids`` (trace index, span bits, parent bits) as the builder keys them."""
    trace, span_bits, parent_bits = ids
    intern = sys.intern
    url = _text(a, "url.full")
    if name.startswith("render "):
        target = _text(a, "e2e.render.component") or name.removeprefix("render ")
    elif name.startswith("web-vital "):
        target = _text(a, "browser.web_vital.name") or name.removeprefix("web-vital ")
    elif kind == "client":
        target = url
    else:
        target = _text(a, "e2e.navigation.to") or (urlsplit(url).path if url else "")
    value = a.get("browser.web_vital.value")
    return BrowserSpan(
        trace=trace,
        span=span_bits,
        parent=parent_bits,
        name=intern(name),
        kind=intern(kind),
        service=intern(service),
        workflow=intern(_text(a, attr.WORKFLOW_TYPE)),
        workflow_id=_text(a, attr.WORKFLOW_ID),
        target=intern(target),
        method=intern(_text(a, "http.request.method") or _text(a, "http.method")),
        value=float(value) if isinstance(value, (int, float)) else 0.0,
        page=intern(_text(a, "url.path")),
        category=intern(_text(a, attr.ERROR_CATEGORY)),
        start_ns=start_ns,
        end_ns=end_ns,
    )


def _text(attributes: Mapping[str, AttributeValue], key: str) -> str:
    value = attributes.get(key)
    return value if isinstance(value, str) else ""


def path_template(path: str) -> str:
    """``/api/products/{id}/`` for ``/api/products/42/``: numbers, UUIDs and long hex ids
    become ``{id}``."""
    return "/".join("{id}" if _ID_SEGMENT.fullmatch(s) else s for s in path.split("/"))


def url_template(url: str) -> str:
    """A fetch URL as a template: its path with ids templated (:func:`path_template`), without
    the origin and the query string (``?page=2`` asks the same endpoint)."""
    return path_template(urlsplit(url).path or url)


def page_of_vitals(spans: Iterable[BrowserSpan]) -> dict[int, str]:
    """The page of each web vital (by its position in ``spans``): its ``url.path`` when it
    has one, else the path of the latest page load of the same service that started before it.
    The web-vitals library reports LCP, FCP, TTFB, CLS and INP for the loaded document, and
    reports some when the page is hidden, after any client-side navigation: the document
    load is the page they belong to. Without a page load it is :data:`UNKNOWN_PAGE`."""
    ordered = sorted(enumerate(spans), key=lambda item: (item[1].start_ns, item[0]))
    latest: dict[str, str] = {}
    pages: dict[int, str] = {}
    for position, span in ordered:
        if span.is_page_load and span.target:
            latest[span.service] = path_template(span.target)
        elif span.is_vital:
            page = span.page or latest.get(span.service, "")
            pages[position] = path_template(page) if page else UNKNOWN_PAGE
    return pages
