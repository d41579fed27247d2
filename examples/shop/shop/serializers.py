"""JSON shapes of the API. Nested fields rely on the view's queryset for their joins."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from shop.models import Cart, CartItem, Category, Order, OrderItem, Product, Review


class CategorySerializer(serializers.ModelSerializer[Category]):
    class Meta:
        model = Category
        fields = ("id", "name", "slug")


class ProductSerializer(serializers.ModelSerializer[Product]):
    category = CategorySerializer(read_only=True)

    class Meta:
        model = Product
        fields: tuple[str, ...] = (
            "id", "sku", "name", "price", "stock", "supplier_code", "category",
        )  # fmt: skip


class ReviewSerializer(serializers.ModelSerializer[Review]):
    class Meta:
        model = Review
        fields = ("id", "rating", "body")


class ProductWithReviewsSerializer(ProductSerializer):
    # Reads product.reviews.all() per product: without prefetch_related in the view this is
    # one query per product — exactly the N+1 the demo wants to exhibit.
    reviews = ReviewSerializer(many=True, read_only=True)

    class Meta(ProductSerializer.Meta):
        fields = (*ProductSerializer.Meta.fields, "reviews")


class CartItemSerializer(serializers.ModelSerializer[CartItem]):
    product = ProductSerializer(read_only=True)
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = CartItem
        fields = ("id", "product", "quantity", "line_total")


class CartSerializer(serializers.ModelSerializer[Cart]):
    items = CartItemSerializer(many=True, read_only=True)
    total = serializers.SerializerMethodField()

    class Meta:
        model = Cart
        fields = ("id", "items", "total", "updated_at")

    def get_total(self, cart: Cart) -> str:
        return str(sum((item.line_total for item in cart.items.all()), Decimal("0.00")))


class CartItemAddSerializer(serializers.Serializer[Any]):
    product_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)

    def validate_product_id(self, value: int) -> int:
        if not Product.objects.filter(pk=value).exists():
            raise serializers.ValidationError("unknown product")
        return value


class CartItemUpdateSerializer(serializers.Serializer[Any]):
    quantity = serializers.IntegerField(min_value=1, max_value=99)


class OrderItemSerializer(serializers.ModelSerializer[OrderItem]):
    sku = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = OrderItem
        fields = ("id", "sku", "quantity", "unit_price")


class OrderSerializer(serializers.ModelSerializer[Order]):
    items = OrderItemSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ("id", "status", "total", "created_at", "items")


class LoginSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
