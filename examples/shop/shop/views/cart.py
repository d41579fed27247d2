"""cart_update and checkout workflows (authenticated: JWT or session + CSRF)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import F, Prefetch
from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.checkout import CheckoutError, place_order
from shop.models import Cart, CartItem
from shop.serializers import (
    CartItemAddSerializer,
    CartItemSerializer,
    CartItemUpdateSerializer,
    CartSerializer,
    OrderSerializer,
)
from shop.views.orders import orders_with_items


def _cart_of(user: User) -> Cart:
    cart, _ = Cart.objects.get_or_create(user=user)
    return cart


def _item_response(item_pk: int, status_code: int) -> Response:
    item = CartItem.objects.select_related("product__category").get(pk=item_pk)
    return Response(CartItemSerializer(item).data, status=status_code)


class CartView(APIView):
    permission_classes = (IsAuthenticated,)

    def get(self, request: Request) -> Response:
        _cart_of(request.user)
        cart = Cart.objects.prefetch_related(
            Prefetch("items", queryset=CartItem.objects.select_related("product__category"))
        ).get(user=request.user)
        return Response(CartSerializer(cart).data)


class CartItemsView(APIView):
    permission_classes = (IsAuthenticated,)

    def post(self, request: Request) -> Response:
        form = CartItemAddSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        cart = _cart_of(request.user)
        item, created = CartItem.objects.get_or_create(
            cart=cart,
            product_id=form.validated_data["product_id"],
            defaults={"quantity": form.validated_data["quantity"]},
        )
        if not created:
            # F(): add in SQL so two concurrent adds of the same product both count.
            CartItem.objects.filter(pk=item.pk).update(
                quantity=F("quantity") + form.validated_data["quantity"]
            )
        return _item_response(item.pk, status.HTTP_201_CREATED)


class CartItemDetailView(APIView):
    permission_classes = (IsAuthenticated,)

    def patch(self, request: Request, pk: int) -> Response:
        form = CartItemUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        # Scoped to the caller's cart: someone else's item is a 404, not a 403 leak.
        item = get_object_or_404(CartItem, pk=pk, cart__user=request.user)
        item.quantity = form.validated_data["quantity"]
        item.save(update_fields=["quantity"])
        return _item_response(item.pk, status.HTTP_200_OK)


class CheckoutView(APIView):
    permission_classes = (IsAuthenticated,)

    def post(self, request: Request) -> Response:
        try:
            order = place_order(request.user)
        except CheckoutError as exc:
            return Response({"detail": exc.detail}, status=exc.status_code)
        placed = orders_with_items().get(pk=order.pk)
        return Response(OrderSerializer(placed).data, status=status.HTTP_201_CREATED)
