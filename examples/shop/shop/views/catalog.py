"""product_fetch workflow: product list and detail, plus the deliberate N+1 endpoint."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from rest_framework import generics

from shop.models import Product
from shop.serializers import ProductSerializer, ProductWithReviewsSerializer


class ProductListView(generics.ListAPIView[Product]):
    serializer_class = ProductSerializer

    def get_queryset(self) -> QuerySet[Product]:
        # select_related: the category is serialized inline, one JOIN instead of N queries.
        products = Product.objects.select_related("category")
        supplier = self.request.query_params.get("supplier_code")
        if supplier:
            products = products.filter(supplier_code=supplier)
        return products


class ProductDetailView(generics.RetrieveAPIView[Product]):
    serializer_class = ProductSerializer
    queryset = Product.objects.select_related("category")


class ProductsWithReviewsView(generics.ListAPIView[Product]):
    """Deliberate N+1: no prefetch_related("reviews"), so one reviews query per product.

    Lists the first ``settings.REVIEWS_PAGE_SIZE`` products (SHOP_REVIEWS_PAGE_SIZE, 20).
    """

    serializer_class = ProductWithReviewsSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Product]:
        products = Product.objects.select_related("category").order_by("id")
        return products[: settings.REVIEWS_PAGE_SIZE]
