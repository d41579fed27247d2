"""Reports built directly from the model, shared by the publisher tests."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from e2e_otel.analyzers.models import (
    ChangePoint,
    Evidence,
    Recommendation,
    Report,
    Section,
    Series,
    SeriesChart,
    finding_id,
)

T0 = datetime(2024, 5, 6, 0, 0, tzinfo=timezone.utc)
HOSTILE = "</script><img src=x onerror=alert(1)> | `tick` <!-- ** _x_ [l](javascript:x) @team #1"
LONG_SQL = (
    "select o.id, o.created_at, c.email, p.name, p.sku, oi.quantity, oi.unit_price from "
    "shop_order o join shop_customer c on c.id = o.customer_id join shop_orderitem oi on "
    "oi.order_id = o.id join shop_product p on p.id = oi.product_id where "
    + " or ".join(
        f"(o.status = ? and p.category_id = ? and c.region_{i} like ?)" for i in range(60)
    )
    + " order by o.created_at desc limit ?"
)


def rec(
    rule: str,
    priority: str,
    title: str,
    *,
    category: str = "database",
    saving_ms: float | None = None,
    saving_pct: float | None = None,
    route: str | None = None,
    fingerprint: str | None = None,
    figures: dict[str, float] | None = None,
    steps: tuple[str, ...] = ("Do the first thing.", "Then measure again."),
    traces: int = 2,
) -> Recommendation:
    """A recommendation with a stable id derived from its rule and subject."""
    fp_id = finding_id("fp", fingerprint)[:16] if fingerprint else None
    return Recommendation(
        id=finding_id(rule, route or "", fingerprint or "", title),
        rule=rule,
        category=category,  # type: ignore[arg-type]
        priority=priority,  # type: ignore[arg-type]
        title=title,
        description=f"{title}. Found by the {rule} rule over the analysed window.",
        steps=steps,
        expected_improvement_ms=saving_ms,
        expected_improvement_pct=saving_pct,
        evidence=Evidence(
            service="shop-api",
            workflow="checkout" if route and "order" in route else "product_fetch",
            route=route,
            fingerprint_id=fp_id,
            fingerprint=fingerprint,
            figures=figures or {},
            trace_ids=tuple(finding_id(rule, title, str(i)) * 2 for i in range(traces)),
        ),
    )


def recommendations() -> tuple[Recommendation, ...]:
    """Several of each priority, deliberately not in sort order."""
    return (
        rec(
            "select_star",
            "low",
            "SELECT * on shop_product",
            fingerprint="select * from shop_product where id = ?",
            saving_pct=4.0,
        ),
        rec(
            "n_plus_one",
            "high",
            "N+1 queries on GET /api/orders/{id}/items",
            route="/api/orders/{id}/items",
            fingerprint="select * from shop_orderitem where order_id = ?",
            saving_ms=182.5,
            saving_pct=61.0,
            figures={"occurrences": 412, "queries_per_request": 25, "p95_ms": 240.2},
            steps=(
                "Use select_related('product') / prefetch_related('items') in OrderItemsView.get_queryset().",
                "1. Re-run the workflow and check that one query replaces the loop.",
            ),
            traces=5,
        ),
        rec(
            "missing_index",
            "high",
            "Unindexed filter on shop_product.sku",
            fingerprint="select id, name from shop_product where lower(sku) like ?",
            saving_ms=95.0,
            figures={
                "calls": 1200,
                "total_ms": 114_000.0,
                "p95_ms": 131.0,
                "share_of_db_time_pct": 37.5,
            },
            steps=(
                "CREATE INDEX shop_product_sku ON shop_product (sku);",
                "Drop LOWER() around the indexed column.",
            ),
        ),
        rec(
            "error_hotspot",
            "high",
            "Integrity errors on POST /api/cart/items (db_integrity)",
            category="api",
            route="/api/cart/items",
            saving_ms=None,
            figures={"errors": 57, "error_rate_pct": 4.2},
        ),
        rec(
            "chatty_endpoint",
            "medium",
            "Chatty endpoint GET /api/catalogue/catégories/{slug}",
            category="api",
            route="/api/catalogue/catégories/{slug}",
            saving_ms=40.0,
            figures={"db_spans_per_request": 31},
        ),
        rec(
            "regression",
            "medium",
            "checkout p95 up 38% since 2024-05-08 14:00 UTC",
            category="api",
            route="/api/orders/checkout",
            saving_ms=74.0,
            saving_pct=38.0,
            figures={"baseline_p95_ms": 195.0, "current_p95_ms": 269.0, "p_value": 0.0004},
        ),
        rec(
            "long_statement",
            "medium",
            "Huge OR filter in order export",
            fingerprint=LONG_SQL,
            saving_ms=22.0,
        ),
        rec(
            "leading_wildcard",
            "low",
            "Leading-wildcard LIKE on 商品名 (product name)",
            fingerprint="select * from shop_product where name like ? -- '%日本語%'",
            saving_ms=3.5,
        ),
        rec(
            "slow_render",
            "low",
            "Slow render of /products page",
            category="frontend",
            route="/products",
            saving_ms=12.0,
            figures={"p95_ms": 148.0, "nan_figure": math.nan},
        ),
        rec(
            "parallelizable",
            "low",
            "3 consecutive independent queries on GET /api/home",
            route="/api/home",
            saving_ms=8.25,
            traces=0,
        ),
    )


def slow_queries(rows: int = 40) -> Section:
    """A pt-query-digest style profile, many rows, long and unicode statements."""
    body = []
    for i in range(rows):
        statement = (
            LONG_SQL
            if i == 3
            else f"select * from t{i} where name = ? and note like ? /* ünïcødé {i} */"
        )
        total = 120_000.0 / (i + 1)
        body.append(
            (
                i + 1,
                finding_id("fp", statement),
                statement,
                100 * (rows - i),
                total,
                round(100 * total / 500_000, 2),
                total / (100 * (rows - i)),
                "/api/orders/{id}/items" if i % 2 else "/api/home",
            )
        )
    return Section(
        name="slow_queries",
        title="Slow queries by total time",
        columns=(
            "rank",
            "fingerprint_id",
            "fingerprint",
            "calls",
            "total_ms",
            "pct_of_total",
            "mean_ms",
            "routes",
        ),
        rows=tuple(body),
    )


def sample_report(**overrides: Any) -> Report:
    """A realistic complete report."""
    report = Report(
        generated_at=T0 + timedelta(days=7, hours=1, minutes=2, seconds=3),
        source="otlp-files: out/traces.jsonl",
        window_start=T0,
        window_end=T0 + timedelta(days=7),
        spans=1_234_567,
        traces=45_678,
        recommendations=recommendations(),
        sections=(
            slow_queries(),
            Section(
                name="error_hotspots",
                title="Error hotspots",
                columns=("workflow", "route", "category", "errors", "share_pct", "when"),
                rows=(
                    ("cart_update", "/api/cart/items", "db_integrity", 57, 4.2, T0),
                    ("login", "/api/auth/token", "auth_token_expired", 12, 0.9, None),
                    ("checkout", "/api/orders/checkout", "server_error", 3, math.inf, True),
                ),
            ),
            Section(name="empty", title="Nothing here", columns=("a",), rows=()),
        ),
        charts=sample_charts(),
    )
    return replace(report, **overrides)


def incomplete_report() -> Report:
    """A report where part of the input could not be read."""
    return sample_report(
        complete=False,
        problems=(
            "out/traces-2.jsonl line 812: truncated JSON (the file was still being written)",
            "tempo: http://tempo:3200 timed out after 3 retries <b>bold?</b>",
        ),
    )


def hostile_report() -> Report:
    """Every user-controlled string carries markup that must stay inert."""
    hostile = rec(
        "n_plus_one",
        "high",
        HOSTILE,
        route="/api/" + HOSTILE,
        fingerprint="select '" + HOSTILE + "' from t where a = ?\n\n# heading\n| a | b |",
        figures={HOSTILE: 1.0},
        steps=(HOSTILE, "1. " + HOSTILE),
    )
    return sample_report(
        source=HOSTILE,
        recommendations=(hostile,),
        problems=(HOSTILE,),
        complete=False,
        sections=(
            Section(
                name="slow_queries",
                title=HOSTILE,
                columns=(HOSTILE, "total_ms", "fingerprint"),
                rows=((HOSTILE, 10.0, HOSTILE), ("a|b\nc", 5.0, "x` | `y")),
            ),
        ),
    )


def sample_charts() -> tuple[SeriesChart, ...]:
    """Two hourly series over a week: checkout p95 with a step up, products' error ratio with a
    step down."""
    start = T0.timestamp()
    hours = range(24 * 7)
    checkout = tuple(
        (start + 3600 * h, 195.0 + 20 * math.sin(h / 3.8) + (74.0 if h >= 62 else 0.0))
        for h in hours
    )
    products = tuple((start + 3600 * h, 0.08 if h < 100 else 0.01) for h in hours)
    return (
        SeriesChart(
            Series(
                "route",
                "POST /api/orders/checkout",
                "p95_ms",
                checkout,
                Evidence(service="shop-api", method="POST", route="/api/orders/checkout"),
                tuple(40 + h % 7 for h in hours),
            ),
            (ChangePoint(62, start + 62 * 3600, 195.4, 269.1, 2.5e-40),),
        ),
        SeriesChart(
            Series(
                "workflow",
                "produits — données « produits »",
                "error_ratio",
                products,
                Evidence(workflow="produits — données « produits »"),
            ),
            (ChangePoint(100, start + 100 * 3600, 0.08, 0.01, 1e-12),),
        ),
    )
