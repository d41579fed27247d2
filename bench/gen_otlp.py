"""Write a synthetic OTLP JSON trace file shaped like the demo shop's, for the analyzer benchmark.

    python bench/gen_otlp.py --spans 1000000 --out /tmp/spans-1m.jsonl [--seed 1]

Each line is one ExportTraceServiceRequest as the Python ``otlp_json_file`` exporter writes it
(a batch of up to 512 spans, grouped by resource and instrumentation scope), with the
attributes our distro sets: Django server spans and PyMySQL client spans carrying statements
shaped like the shop's, their fingerprints, workflow type/id and error categories. The mix
holds the shop's planted problems (an N+1 loop, a slow unindexed scan, an integrity error), a
checkout with two independent slow reads, middleware spans between some server spans and their
first queries, and a Next.js server span above a tenth of the requests. Eight requests are in
flight at a time and spans are written in the order they end, so a trace's spans interleave
with other traces' and children come before their parents, as in a real file. The same seed
gives the same file.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from e2e_otel.sql.fingerprint import fingerprint, fingerprint_id

BATCH = 512
IN_FLIGHT = 8
SCOPES = {
    "server": ("shop-api", "opentelemetry.instrumentation.django"),
    "db": ("shop-api", "opentelemetry.instrumentation.pymysql"),
    "middleware": ("shop-api", "shop.middleware"),
    "page": ("shop-web", "next.js"),
}


def _select(table: str, columns: str, where: str = "", tail: str = "") -> str:
    cols = ", ".join(f"`{table}`.`{c}`" for c in columns.split())
    filtered = f" WHERE `{table}`.`{where}` = %s" if where else ""
    return f"SELECT {cols} FROM `{table}`{filtered}{tail}"


SESSION = _select("django_session", "session_key session_data", "session_key", " LIMIT ?")
USER = _select("auth_user", "id password username is_staff", "id", " LIMIT ?")
PRODUCTS = _select("shop_product", "id sku name price", tail=" ORDER BY `id` LIMIT ?")
COUNT = "SELECT COUNT(*) AS `__count` FROM `shop_product`"
PRODUCT = _select("shop_product", "id sku name price", "id", " LIMIT ?")
REVIEWS = _select("shop_review", "id product_id rating body", "product_id", " ORDER BY `id` DESC")
PAGEVIEWS = (
    "SELECT `shop_pageview`.`path` AS `path`, COUNT(`shop_pageview`.`id`) AS `views` FROM "
    "`shop_pageview` WHERE `shop_pageview`.`referrer` = %s GROUP BY ? ORDER BY ? DESC, ? ASC"
)
INSERT = "INSERT INTO `shop_product` (`sku`, `name`, `price`) VALUES (%s, %s, %s)"
CART = _select("shop_cart", "id user_id", "user_id", " LIMIT ?")
CART_ITEMS = _select("shop_cartitem", "id product_id quantity", "cart_id")
ADDRESS = _select("shop_address", "id line1 city", "user_id")
COUPONS = _select("shop_coupon", "id code discount", "active")
STOCK = "UPDATE `shop_product` SET `stock` = (`stock` - %s) WHERE `shop_product`.`id` = %s"
ORDER = "INSERT INTO `shop_order` (`user_id`, `status`, `total`) VALUES (%s, %s, %s)"


class Route(NamedTuple):
    method: str
    route: str
    workflow: str
    status: int
    weight: float
    queries: list[tuple[str, float]]  # (statement, typical ms)


CART_VIEW = [(SESSION, 0.3), (USER, 0.3), (CART, 0.4), (CART_ITEMS, 0.6)]
# Two independent slow reads in a row (parallelizable), then the writes.
CHECKOUT = [*CART_VIEW, (ADDRESS, 15.0), (COUPONS, 20.0), (ORDER, 0.6), *[(STOCK, 0.3)] * 3]
ROUTES = [
    Route("GET", "api/products/", "product_fetch", 200, 30, [(SESSION, 0.3), (PRODUCTS, 1.5)]),
    Route("GET", "api/products/<int:pk>/", "product_fetch", 200, 30, [(PRODUCT, 0.3)]),
    Route("GET", "api/products/with-reviews/", "product_reviews", 200, 8, [(PRODUCTS, 1.0)]
          + [(REVIEWS, 3.0)] * 20),
    Route("GET", "api/cart/", "cart_update", 200, 12, CART_VIEW),
    Route("POST", "api/checkout/", "checkout", 201, 6, CHECKOUT),
    Route("GET", "api/reports/pageviews/", "reporting", 200, 2, [(PAGEVIEWS, 180.0)]),
    Route("POST", "api/products/duplicate-sku/", "catalog_admin", 500, 2, [(PRODUCT, 0.4),
          (INSERT, 5.0)]),
    Route("GET", "api/admin/stats/", "admin", 403, 3, [(SESSION, 0.3), (USER, 0.3), (COUNT, 0.4)]),
]  # fmt: skip
FINGERPRINTS = {s: (fingerprint(s), fingerprint_id(s)) for r in ROUTES for s, _ in r.queries}


def attrs(**values: Any) -> list[dict[str, Any]]:
    """OTLP JSON attributes; ``a__b`` names ``a.b``, None values are left out."""
    return [
        {
            "key": key.replace("__", "."),
            "value": {"intValue" if isinstance(value, int) else "stringValue": str(value)},
        }
        for key, value in values.items()
        if value is not None
    ]


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def hex(self, bits: int) -> str:
        return f"{self.rng.getrandbits(bits):0{bits // 4}x}"

    def span(
        self, trace: str, span: str, parent: str | None, name: str, kind: int, start: int, end: int
    ) -> dict[str, Any]:
        raw = {
            "traceId": trace,
            "spanId": span,
            "flags": 256,
            "name": name,
            "kind": kind,
            "startTimeUnixNano": str(start),
            "endTimeUnixNano": str(end),
            "attributes": [],
            "status": {},
        }
        if parent:
            raw["parentSpanId"] = parent
        return raw

    def request(self, start: int) -> list[tuple[int, str, dict[str, Any]]]:
        """One request's spans as (end time, scope key, span)."""
        rng = self.rng
        route = rng.choices(ROUTES, [r.weight for r in ROUTES])[0]
        trace, server_id = self.hex(128), self.hex(64)
        common = attrs(e2e__workflow__type=route.workflow, e2e__workflow__id=self.hex(64))
        page_id = self.hex(64) if rng.random() < 0.1 else None
        middleware_id = self.hex(64) if rng.random() < 0.3 else None
        failed = route.status >= 500
        out = []
        cursor = start + 300_000
        for number, (statement, typical_ms) in enumerate(route.queries):
            end = cursor + int(rng.lognormvariate(0, 0.35) * typical_ms * 1e6)
            error = failed and number == len(route.queries) - 1
            fp, fp_id = FINGERPRINTS[statement]
            parent = middleware_id if middleware_id and number < 2 else server_id
            span = self.span(trace, self.hex(64), parent, statement.split()[0], 3, cursor, end)
            span["attributes"] = common + attrs(
                e2e__layer="database",
                db__system="mysql",
                db__name="shop",
                db__statement=statement,
                db__user="shop",
                net__peer__name="127.0.0.1",
                net__peer__port=3306,
                e2e__db__fingerprint=fp,
                e2e__db__fingerprint_id=fp_id,
                e2e__error__category="db_integrity" if error else None,
            )
            span["status"] = {"code": 2} if error else {}
            out.append((end, "db", span))
            cursor = end + int(rng.uniform(0.05, 0.4) * 1e6)
        end = cursor + int(rng.uniform(0.5, 3) * 1e6)
        if middleware_id:
            span = self.span(trace, middleware_id, server_id, "auth", 1, start + 10**5, end - 10**5)
            span["attributes"] = common + attrs(e2e__layer="internal")
            out.append((end - 10**5, "middleware", span))
        server = self.span(
            trace, server_id, page_id, f"{route.method} {route.route}", 2, start, end
        )
        server["attributes"] = common + attrs(
            e2e__layer="api",
            http__method=route.method,
            http__route=route.route,
            http__status_code=route.status,
            http__url=f"http://127.0.0.1:8000/{route.route}",
            http__user_agent="Mozilla/5.0",
            net__peer__ip="10.0.0.7",
            e2e__error__category={500: "db_integrity", 403: "permission"}.get(route.status),
        )
        server["status"] = {"code": 2} if failed else {}
        out.append((end, "server", server))
        if page_id:
            page_end = end + int(rng.uniform(5, 60) * 1e6)
            page = self.span(
                trace, page_id, None, f"GET /{route.route}", 2, start - 2 * 10**6, page_end
            )
            page["attributes"] = common + attrs(
                e2e__layer="frontend", http__method="GET", http__route=f"/{route.route}"
            )
            out.append((page_end, "page", page))
        return out

    def ended_spans(self, total: int) -> Iterator[tuple[str, dict[str, Any]]]:
        """``total`` spans in the order they end, IN_FLIGHT requests overlapping."""
        clock = 1_790_000_000 * 10**9
        pending: list[tuple[int, str, dict[str, Any]]] = []
        produced = 0
        while True:
            for _ in range(IN_FLIGHT):
                clock += int(self.rng.expovariate(1 / 4e6))
                pending.extend(self.request(clock))
            pending.sort(key=lambda item: item[0])
            # The earlier half has ended before the next wave's requests start to matter.
            cut = len(pending) // 2
            for _, scope, span in pending[:cut]:
                if produced == total:
                    return
                produced += 1
                yield scope, span
            del pending[:cut]


def request_line(batch: list[tuple[str, dict[str, Any]]]) -> str:
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for scope_key, span in batch:
        service, scope = SCOPES[scope_key]
        grouped.setdefault(service, {}).setdefault(scope, []).append(span)
    resource_spans = [
        {
            "resource": {"attributes": attrs(service__name=service)},
            "scopeSpans": [{"scope": {"name": s}, "spans": spans} for s, spans in scopes.items()],
        }
        for service, scopes in grouped.items()
    ]
    return json.dumps({"resourceSpans": resource_spans}, separators=(",", ":"))


def generate(path: Path, spans: int, seed: int = 1) -> None:
    batch: list[tuple[str, dict[str, Any]]] = []
    with path.open("w", encoding="utf-8") as out:
        for item in Generator(seed).ended_spans(spans):
            batch.append(item)
            if len(batch) == BATCH:
                out.write(request_line(batch) + "\n")
                batch.clear()
        if batch:
            out.write(request_line(batch) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    generate(args.out, args.spans, args.seed)
    size = args.out.stat().st_size
    print(f"{args.spans} spans, {size / 1e6:.0f} MB in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
