"""Deliberate problems for the analyzers to find. Each one is wrong on purpose; do not fix."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.models import PageView, Product

REPORT_TOP_PATHS = 10


class PageViewReportView(APIView):
    """Slow query: `referrer` has no index, so the report scans the whole pageview table."""

    def get(self, request: Request) -> Response:
        referrer = request.query_params.get("referrer")
        if not referrer:
            raise ValidationError({"referrer": "this query parameter is required"})
        # One statement on purpose, so the slow fingerprint is unambiguous in traces.
        per_path = list(
            PageView.objects.filter(referrer=referrer)
            .values("path")
            .annotate(views=Count("id"))
            .order_by("-views", "path")
        )
        return Response(
            {
                "referrer": referrer,
                "total": sum(row["views"] for row in per_path),
                "top_paths": per_path[:REPORT_TOP_PATHS],
            }
        )


class DuplicateSkuView(APIView):
    """Inserts a product whose sku already exists; the IntegrityError is left unhandled (500)."""

    def post(self, request: Request) -> Response:
        existing = Product.objects.order_by("id").first()
        if existing is None:
            raise ValidationError("seed the shop first: manage.py seed_shop")
        Product.objects.create(
            sku=existing.sku,
            name=f"{existing.name} (copy)",
            price=existing.price,
            stock=0,
            category_id=existing.category_id,
            supplier_code=existing.supplier_code,
        )
        return Response(status=201)  # never reached: the unique sku index rejects the row


class BoomView(APIView):
    """Unhandled application exception (500). With ``?sku=...``, a hand-written query with a
    syntax error (a doubled WHERE) fails instead: the server's 1064 message quotes the rest of
    the statement, the sku value included, which the telemetry must not carry."""

    def get(self, request: Request) -> Response:
        sku = request.query_params.get("sku")
        if sku is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT id FROM shop_product WHERE WHERE sku = %s", [sku])
        raise RuntimeError("boom: deliberate failure for the e2e-otel demo")
