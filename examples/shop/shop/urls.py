"""API routes. Workflow rules match these patterns verbatim (e.g. `api/products/<int:pk>/`),
so treat them as a contract: rename only together with the workflow configuration.
"""

from __future__ import annotations

from django.urls import path
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from shop.views import auth, cart, catalog, orders, problems

urlpatterns = [
    # login
    path("auth/login/", auth.SessionLoginView.as_view(), name="auth-login"),
    path("auth/token/", TokenObtainPairView.as_view(), name="auth-token"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="auth-token-refresh"),
    # product_fetch
    path("products/", catalog.ProductListView.as_view(), name="product-list"),
    path("products/<int:pk>/", catalog.ProductDetailView.as_view(), name="product-detail"),
    path(
        "products/with-reviews/",
        catalog.ProductsWithReviewsView.as_view(),
        name="product-with-reviews",
    ),
    # cart_update
    path("cart/", cart.CartView.as_view(), name="cart"),
    path("cart/items/", cart.CartItemsView.as_view(), name="cart-items"),
    path("cart/items/<int:pk>/", cart.CartItemDetailView.as_view(), name="cart-item"),
    # checkout
    path("checkout/", cart.CheckoutView.as_view(), name="checkout"),
    path("orders/", orders.OrderListView.as_view(), name="order-list"),
    # deliberate problems
    path("reports/pageviews/", problems.PageViewReportView.as_view(), name="report-pageviews"),
    path("products/duplicate-sku/", problems.DuplicateSkuView.as_view(), name="duplicate-sku"),
    path("debug/boom/", problems.BoomView.as_view(), name="debug-boom"),
    path("admin/stats/", orders.AdminStatsView.as_view(), name="admin-stats"),
]
