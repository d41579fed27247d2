"""Deliberate problems for the analyzers to find. Each one is wrong on purpose; do not fix."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta

from django.db import connection
from django.db.models import Count
from django.http import HttpResponse
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import AccessToken

from shop.models import PageView, Product

REPORT_TOP_PATHS = 10
#: Upper bound of BoomView's ``?delay=``, so a debug request cannot hold a worker for long.
MAX_DELAY_SECONDS = 5.0


class PageViewReportView(APIView):
    """Slow query: `referrer` has no index, so the report scans the whole pageview table.

    ``?export=csv`` answers the same rows as ``text/csv`` (the storefront's "parse error"
    problem parses it as JSON)."""

    def get(self, request: Request) -> Response | HttpResponse:
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
        if request.query_params.get("export") == "csv":
            return _csv(per_path[:REPORT_TOP_PATHS])
        return Response(
            {
                "referrer": referrer,
                "total": sum(row["views"] for row in per_path),
                "top_paths": per_path[:REPORT_TOP_PATHS],
            }
        )


def _csv(rows: list[dict[str, object]]) -> HttpResponse:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["path", "views"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")


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
    the statement, the sku value included, which the telemetry must not carry.

    Knobs for the storefront's planted problems: ``?delay=<seconds>`` (at most 5) sleeps
    first, a slow endpoint for client timeouts; ``?expired_token=1`` answers 200 with an access
    token of the authenticated caller that expired a minute ago, for the expired-session flow.
    """

    def get(self, request: Request) -> Response:
        if request.query_params.get("expired_token") == "1":
            return Response({"access": _expired_access_token(request)})
        delay = request.query_params.get("delay")
        if delay is not None:
            try:
                seconds = min(max(float(delay), 0.0), MAX_DELAY_SECONDS)
            except ValueError:
                raise ValidationError({"delay": "seconds, a number"}) from None
            time.sleep(seconds)
        sku = request.query_params.get("sku")
        if sku is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT id FROM shop_product WHERE WHERE sku = %s", [sku])
        raise RuntimeError("boom: deliberate failure for the e2e-otel demo")


def _expired_access_token(request: Request) -> str:
    if not request.user.is_authenticated:
        raise NotAuthenticated()
    token = AccessToken.for_user(request.user)
    token.set_exp(from_time=token.current_time - timedelta(minutes=1), lifetime=timedelta(0))
    return str(token)
