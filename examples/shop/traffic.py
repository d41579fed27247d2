#!/usr/bin/env python
"""Drive every demo-shop workflow the way a Next.js frontend would, then check the statuses.

    python traffic.py --base-url http://127.0.0.1:8765 --iterations 3 --seed 1

Each user action is one *workflow run*: all its requests share a correlation id, propagated in
rotation as `X-Workflow-Type` + `X-Correlation-ID` headers, as W3C `baggage`
(`e2e.workflow.type=...,e2e.workflow.id=...`), or not at all (route rules must classify it).
Workflow names follow examples/shop/e2e-otel.yaml, so tagged and rule-classified runs of a
route land in the same workflow.
Cart and checkout alternate between JWT (Authorization: Bearer) and a Django session, where
unsafe requests echo the `csrftoken` cookie in `X-CSRFToken` like a browser app does.

Prints status codes per endpoint route and exits 1 if an expected status was never seen or an
unexpected one was, 2 if the server cannot be reached. Requests only ever go to --base-url.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

USER = ("alice", "alice-password")
STAFF = ("admin", "admin-password")
# A subset of seed_shop.REFERRERS (kept in sync by hand: this script must not import Django).
REFERRERS = ("https://news.ycombinator.com/", "https://partner-07.example.com/campaign")
MISSING_PK = 2_000_000_000  # never seeded, so always a 404
STYLES = ("headers", "baggage", "none")

# route -> (statuses that must be seen at least once, statuses merely tolerated)
EXPECTED: dict[str, tuple[frozenset[int], frozenset[int]]] = {
    "POST api/auth/login/": (frozenset({200}), frozenset()),
    "POST api/auth/token/": (frozenset({200, 401}), frozenset()),
    "POST api/auth/token/refresh/": (frozenset({200}), frozenset()),
    "GET api/products/": (frozenset({200}), frozenset()),
    "GET api/products/<int:pk>/": (frozenset({200, 404}), frozenset()),
    "GET api/products/with-reviews/": (frozenset({200}), frozenset()),
    "GET api/cart/": (frozenset({200}), frozenset()),
    "POST api/cart/items/": (frozenset({201}), frozenset()),
    "PATCH api/cart/items/<int:pk>/": (frozenset({200}), frozenset()),
    # 409 = out of stock: possible after many runs against one seeded database.
    "POST api/checkout/": (frozenset({201, 400}), frozenset({409})),
    "GET api/orders/": (frozenset({200, 401}), frozenset()),
    "GET api/reports/pageviews/": (frozenset({200, 400}), frozenset()),
    "POST api/products/duplicate-sku/": (frozenset({500}), frozenset()),
    "GET api/debug/boom/": (frozenset({500}), frozenset()),
    "GET api/admin/stats/": (frozenset({200, 403}), frozenset()),
}


class TrafficError(Exception):
    """A response the next step depends on was not the expected success."""


@dataclass
class Workflow:
    """One frontend user action; every request in it carries the same correlation id."""

    name: str
    style: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def headers(self) -> dict[str, str]:
        if self.style == "headers":
            return {"X-Workflow-Type": self.name, "X-Correlation-ID": self.id}
        if self.style == "baggage":
            return {"baggage": f"e2e.workflow.type={self.name},e2e.workflow.id={self.id}"}
        return {}


@dataclass
class Actor:
    """A browser tab: its own cookie jar, plus a bearer token once it has one."""

    client: httpx.Client
    token: str | None = None


@dataclass
class Recorder:
    """Latencies per route and status: a fast 400 and a slow 200 must not share a median."""

    millis: defaultdict[str, defaultdict[int, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )

    def call(
        self, actor: Actor, workflow: Workflow, method: str, route: str, **kw: Any
    ) -> httpx.Response:
        """Send one request; `route` is the Django pattern it should resolve to."""
        url = "/" + route.replace("<int:pk>", str(kw.pop("pk", "")))
        headers = workflow.headers()
        if actor.token:
            headers["Authorization"] = f"Bearer {actor.token}"
        csrf = actor.client.cookies.get("csrftoken")
        if csrf and method not in ("GET", "HEAD", "OPTIONS"):
            headers["X-CSRFToken"] = csrf
        started = time.perf_counter()
        response = actor.client.request(method, url, headers=headers, **kw)
        elapsed = (time.perf_counter() - started) * 1000
        self.millis[f"{method} {route}"][response.status_code].append(elapsed)
        return response


def ok_json(response: httpx.Response) -> Any:
    if not response.is_success:
        raise TrafficError(
            f"{response.request.method} {response.request.url.path} -> {response.status_code}"
        )
    return response.json()


def credentials(user: tuple[str, str]) -> dict[str, str]:
    return {"username": user[0], "password": user[1]}


def new_actor(base_url: str, timeout: float) -> Actor:
    base = httpx.URL(base_url)

    def same_origin_only(request: httpx.Request) -> None:
        here = (request.url.scheme, request.url.host, request.url.port)
        if here != (base.scheme, base.host, base.port):
            raise RuntimeError(f"refusing request outside --base-url: {request.url}")

    client = httpx.Client(
        base_url=base,
        timeout=timeout,
        follow_redirects=False,
        # No keep-alive: on reused connections to runserver we measured ~40 ms extra per
        # request (small header and body segments meeting Nagle + delayed ACK) that no
        # server span shows. A fresh connection per request keeps client timings honest.
        limits=httpx.Limits(max_keepalive_connections=0),
        event_hooks={"request": [same_origin_only]},
    )
    return Actor(client)


@dataclass
class Round:
    """One iteration: fresh browser tabs and a rotating propagation style per workflow run."""

    rec: Recorder
    rng: random.Random
    index: int
    session: Actor
    jwt: Actor
    anon: Actor
    staff: Actor
    runs: int = 0

    def workflow(self, name: str) -> Workflow:
        # Rotating by iteration too, so every workflow meets every style over 3 iterations.
        style = STYLES[(self.index + self.runs) % len(STYLES)]
        self.runs += 1
        return Workflow(name, style)


def login(r: Round) -> None:
    wf = r.workflow("login")
    ok_json(r.rec.call(r.session, wf, "POST", "api/auth/login/", json=credentials(USER)))
    wf = r.workflow("login")
    pair = ok_json(r.rec.call(r.jwt, wf, "POST", "api/auth/token/", json=credentials(USER)))
    refresh = {"refresh": pair["refresh"]}
    access = ok_json(r.rec.call(r.jwt, wf, "POST", "api/auth/token/refresh/", json=refresh))
    r.jwt.token = access["access"]
    wrong = {"username": USER[0], "password": "wrong"}
    r.rec.call(r.anon, r.workflow("login"), "POST", "api/auth/token/", json=wrong)  # 401


def product_fetch(r: Round) -> list[int]:
    """Browse like a shopper; returns the product ids seen, for the cart."""
    wf = r.workflow("product_fetch")
    page = {"page": r.rng.randint(1, 10)}
    listing = ok_json(r.rec.call(r.anon, wf, "GET", "api/products/", params=page))
    ids = [product["id"] for product in listing["results"]]
    for pk in r.rng.sample(ids, 3):
        r.rec.call(r.anon, wf, "GET", "api/products/<int:pk>/", pk=pk)
    supplier = {"supplier_code": f"SUP-{r.rng.randint(1, 60):03d}"}
    r.rec.call(r.anon, wf, "GET", "api/products/", params=supplier)
    r.rec.call(r.anon, wf, "GET", "api/products/<int:pk>/", pk=MISSING_PK)  # 404
    r.rec.call(r.anon, r.workflow("product_reviews"), "GET", "api/products/with-reviews/")  # N+1
    return ids


def cart_and_checkout(r: Round, product_ids: list[int]) -> None:
    # Alternate auth styles: JWT bearer, then session cookie + X-CSRFToken.
    shopper = r.jwt if r.index % 2 == 0 else r.session
    wf = r.workflow("cart_update")
    first, second = r.rng.sample(product_ids, 2)
    ok_json(r.rec.call(shopper, wf, "GET", "api/cart/"))
    item = ok_json(r.rec.call(shopper, wf, "POST", "api/cart/items/", json={"product_id": first}))
    r.rec.call(shopper, wf, "POST", "api/cart/items/", json={"product_id": second, "quantity": 2})
    r.rec.call(
        shopper, wf, "PATCH", "api/cart/items/<int:pk>/", pk=item["id"], json={"quantity": 3}
    )
    wf = r.workflow("checkout")
    r.rec.call(shopper, wf, "POST", "api/checkout/")
    r.rec.call(shopper, wf, "POST", "api/checkout/")  # cart now empty: 400
    r.rec.call(shopper, wf, "GET", "api/orders/")  # the confirmation page, same user action


def failure_paths(r: Round) -> None:
    r.rec.call(r.anon, r.workflow("order_history"), "GET", "api/orders/")  # 401
    r.rec.call(r.session, r.workflow("admin"), "GET", "api/admin/stats/")  # 403
    ok_json(
        r.rec.call(r.staff, r.workflow("login"), "POST", "api/auth/login/", json=credentials(STAFF))
    )
    r.rec.call(r.staff, r.workflow("admin"), "GET", "api/admin/stats/")  # 200
    wf = r.workflow("reporting")
    referrer = {"referrer": r.rng.choice(REFERRERS)}
    r.rec.call(r.anon, wf, "GET", "api/reports/pageviews/", params=referrer)  # slow scan
    r.rec.call(r.anon, wf, "GET", "api/reports/pageviews/")  # missing parameter: 400
    r.rec.call(r.anon, r.workflow("catalog_admin"), "POST", "api/products/duplicate-sku/")  # 500
    r.rec.call(r.anon, r.workflow("debug"), "GET", "api/debug/boom/")  # 500


def run_iteration(
    rec: Recorder, rng: random.Random, index: int, base_url: str, timeout: float
) -> None:
    session, jwt, anon, staff = actors = [new_actor(base_url, timeout) for _ in range(4)]
    try:
        r = Round(rec, rng, index, session, jwt, anon, staff)
        login(r)
        product_ids = product_fetch(r)
        cart_and_checkout(r, product_ids)
        failure_paths(r)
    finally:
        for actor in actors:
            actor.client.close()


def report(rec: Recorder) -> list[str]:
    """Print status counts and median ms per route; return the problems (empty = success)."""
    problems = []
    print(f"{'endpoint':<36} statuses (count x, median ms)")
    for route, (required, tolerated) in EXPECTED.items():
        seen: dict[int, list[float]] = rec.millis.get(route, {})
        shown = "  ".join(
            f"{code} x{len(ms)} {statistics.median(ms):.0f}ms" for code, ms in sorted(seen.items())
        )
        print(f"{route:<36} {shown or '-'}")
        if missing := required - seen.keys():
            problems.append(f"{route}: expected {sorted(missing)} never seen")
        if unexpected := seen.keys() - required - tolerated:
            problems.append(f"{route}: unexpected {sorted(unexpected)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8765")
    parser.add_argument("--iterations", type=int, default=3, help="workflow rounds (1..1000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (reproducible runs)")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request seconds")
    args = parser.parse_args(argv)
    if not 1 <= args.iterations <= 1000:
        parser.error("--iterations must be between 1 and 1000")
    rng = random.Random(args.seed)
    rec = Recorder()
    started = time.perf_counter()
    try:
        for i in range(args.iterations):
            run_iteration(rec, rng, i, args.base_url, args.timeout)
    except httpx.TransportError as exc:
        print(f"traffic: cannot reach {args.base_url}: {exc!r}", file=sys.stderr)
        return 2
    except TrafficError as exc:
        report(rec)
        print(f"FAIL stopped early: {exc}", file=sys.stderr)
        return 1
    problems = report(rec)
    total = sum(len(ms) for by_status in rec.millis.values() for ms in by_status.values())
    print(f"{total} requests in {time.perf_counter() - started:.1f}s")
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
