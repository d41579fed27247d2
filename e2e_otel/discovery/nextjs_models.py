"""Typed results of ``e2e-otel discover nextjs``: routes, API calls, wrappers, problems.

Paths inside the app are POSIX paths relative to the scanned directory, so results compare
equal across machines. ``to_dict`` gives the JSON shape, fields in declaration order.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from e2e_otel.errors import UserError

Router = Literal["app", "pages"]
RouteKind = Literal["page", "api", "layout"]
SegmentKind = Literal["static", "dynamic", "catch_all", "optional_catch_all"]


class NotNextjsAppError(UserError):
    """The directory is missing or has none of ``app/``, ``src/app/``, ``pages/``,
    ``src/pages/``."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Segment:
    """One URL path segment: ``static`` text or a ``dynamic`` / ``catch_all`` /
    ``optional_catch_all`` parameter named ``name``."""

    kind: SegmentKind
    name: str


@dataclass(frozen=True)
class Dependency:
    """An import of a route's component file; ``file`` is set when it resolves to a source
    file inside the app (relative imports and tsconfig/jsconfig ``paths`` aliases)."""

    specifier: str
    file: str | None


@dataclass(frozen=True)
class Route:
    """A page, API handler or layout.

    ``path`` uses Next.js notation (``/products/[id]``, ``/docs/[...slug]``). ``slot`` names
    the parallel-route slot (``@modal`` -> ``modal``) a page renders into; ``intercepts``
    holds the marker (``(.)``, ``(..)``, ``(..)(..)``, ``(...)``) of an intercepting route,
    whose ``path`` is the URL it intercepts: it has no URL of its own. ``methods`` lists
    the HTTP methods an API route handles, empty when any. ``calls`` are the ``file:line``
    locations of the API calls in the component file and the app files it imports,
    transitively.
    """

    path: str
    router: Router
    kind: RouteKind
    file: str
    segments: tuple[Segment, ...]
    methods: tuple[str, ...] = ()
    slot: str | None = None
    intercepts: str | None = None
    dependencies: tuple[Dependency, ...] = ()
    calls: tuple[str, ...] = ()

    @property
    def dynamic(self) -> bool:
        """Whether any segment is a parameter."""
        return any(s.kind != "static" for s in self.segments)


@dataclass(frozen=True)
class UrlBase:
    """Where a URL's origin comes from: an environment variable (with the literal fallback
    written next to it, if any), a literal origin, or another expression."""

    env: str | None
    literal: str | None
    expression: str


@dataclass(frozen=True)
class UrlTemplate:
    """A call's URL. ``path`` marks each dynamic part as ``{expression}`` (listed in
    ``params``); ``query`` is the text after ``?``. ``resolved`` is False when the path has
    no literal part: then ``expression`` (the source text) is all there is."""

    resolved: bool
    path: str | None
    query: str | None
    params: tuple[str, ...]
    base: UrlBase | None
    expression: str


@dataclass(frozen=True)
class ApiCall:
    """One HTTP call to an API.

    ``client`` is the library that sends it (``fetch``, ``axios`` or ``swr`` with an unknown
    fetcher); ``via`` is how the call reached it, outermost first (``useSWR``, a wrapper
    function with its location, an axios instance). ``method`` is None when not statically
    known. ``credentials`` is True when cookies (``credentials: "include"``,
    ``withCredentials: true``) or an Authorization header are sent, False when the
    options visibly send neither, None when the options cannot be read; ``credentials_via``
    says which. ``hook`` names the data-fetching hook (``useSWR``, ``useQuery``,
    ``useMutation``, ...) the call runs in, if any. ``condition`` is set when the URL is
    chosen at run time between literal alternatives (``c ? "/a/" : "/b/"``): each
    alternative is its own call at the same place, with the condition that picks it
    (``c``, ``!c``).
    """

    file: str
    line: int
    method: str | None
    url: UrlTemplate
    client: str
    via: tuple[str, ...]
    credentials: bool | None
    credentials_via: tuple[str, ...]
    hook: str | None
    condition: str | None = None

    @property
    def location(self) -> str:
        """``file:line``."""
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Wrapper:
    """A function of the app that sends a request to a URL built from its parameter; its
    call sites are reported as ``ApiCall`` (``uses`` of them were found)."""

    name: str
    file: str
    line: int
    client: str
    url: UrlTemplate
    uses: int


@dataclass(frozen=True)
class ScanProblem:
    """A file that could not be scanned completely: ``partial`` when a syntax error made
    part of it unreadable (the rest was scanned), else the file could not be read at all."""

    file: str
    line: int | None
    message: str
    partial: bool = False

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class SkippedFile:
    """A file among the sources that is not app code (``public/``, minified, a service
    worker bundle), left out of the scan, and why."""

    file: str
    reason: str


@dataclass(frozen=True)
class NextjsApp:
    """Everything ``scan`` found in one Next.js app, each list in a stable order."""

    root: str
    app_dir: str | None
    pages_dir: str | None
    files: int
    routes: tuple[Route, ...]
    calls: tuple[ApiCall, ...]
    wrappers: tuple[Wrapper, ...]
    problems: tuple[ScanProblem, ...]
    skipped: tuple[SkippedFile, ...] = ()

    def counts(self) -> dict[str, int]:
        """Files scanned, partially read (syntax errors), unreadable, and not scanned as
        app source; routes; calls."""
        partial = sum(1 for p in self.problems if p.partial)
        return {
            "files": self.files,
            "partially_read": partial,
            "unreadable": len(self.problems) - partial,
            "skipped_not_source": len(self.skipped),
            "routes": len(self.routes),
            "calls": len(self.calls),
        }


def to_dict(app: NextjsApp) -> dict[str, object]:
    """The JSON shape of ``app``: dataclass fields plus each route's ``dynamic`` flag and a
    ``summary`` of the counts."""
    result = dataclasses.asdict(app)
    result["summary"] = app.counts()
    routes: list[dict[str, object]] = result["routes"]
    for route, data in zip(app.routes, routes, strict=True):
        data["dynamic"] = route.dynamic
    return result
