"""Turn a cart into an order atomically: the checkout workflow's database work."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F

from shop.models import Cart, CartItem, Order, OrderItem, Product


class CheckoutError(Exception):
    """A checkout the shopper can fix; carries the HTTP status the API answers with."""

    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class EmptyCart(CheckoutError):
    def __init__(self) -> None:
        super().__init__("cart is empty")


class OutOfStock(CheckoutError):
    status_code = 409

    def __init__(self, sku: str, available: int, wanted: int) -> None:
        super().__init__(f"only {available} of {sku} left, {wanted} requested")
        self.sku = sku


@transaction.atomic
def place_order(user: User) -> Order:
    """Create an order from the user's cart, decrement stock and empty the cart."""
    cart = Cart.objects.select_for_update().filter(user=user).first()
    items = list(CartItem.objects.filter(cart=cart)) if cart else []
    if not items:
        raise EmptyCart
    # Lock product rows in primary-key order so concurrent checkouts cannot deadlock.
    products = {
        p.pk: p
        for p in Product.objects.select_for_update()
        .filter(pk__in=[i.product_id for i in items])
        .order_by("pk")
    }
    for item in items:
        product = products[item.product_id]
        if product.stock < item.quantity:
            raise OutOfStock(product.sku, product.stock, item.quantity)
    total = sum((products[i.product_id].price * i.quantity for i in items), Decimal("0.00"))
    order = Order.objects.create(user=user, total=total)
    OrderItem.objects.bulk_create(
        OrderItem(
            order=order,
            product_id=i.product_id,
            quantity=i.quantity,
            unit_price=products[i.product_id].price,
        )
        for i in items
    )
    for item in items:
        Product.objects.filter(pk=item.product_id).update(stock=F("stock") - item.quantity)
    CartItem.objects.filter(cart=cart).delete()
    return order
