"""A broad set of the demo shop's ORM statements, run by ``manage.py shell`` under e2e-otel
(``SHOP_E2E_OTEL_CONFIGURE=1``) so that each one becomes a database span with its fingerprint.

It covers the SQL shapes whose digest text differs from the statement Django sends: DISTINCT
(MariaDB writes DISTINCTROW), function calls (MariaDB backquotes `LOWER` (, `COUNT` (...),
IN lists of several lengths, LIMIT/OFFSET, AS aliases, NULL, TRUE/FALSE, negative numbers,
comments, BETWEEN, CASE, subqueries, multi-row INSERT, UPDATE with F(), DELETE.
Executed with ``exec`` by tests/dbhealth/test_digest_match.py; not a module to import.
"""

from datetime import datetime, timezone
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    Concat,
    ExtractYear,
    Greatest,
    Length,
    Lower,
    Now,
    RowNumber,
    Substr,
    TruncDate,
    TruncWeek,
    Upper,
)
from shop.models import Cart, CartItem, Category, Order, PageView, Product, Review

SINCE = datetime(2020, 1, 1, tzinfo=timezone.utc)
products = Product.objects.all()
list(products.values("category_id").distinct())
list(products.values_list("supplier_code", flat=True).distinct().order_by("supplier_code")[:5])
list(PageView.objects.filter(created_at__gte=SINCE).values("referrer").distinct()[:10])
list(Product.objects.filter(name__icontains="a").distinct())
list(products.annotate(lname=Lower("name")).values_list("lname", flat=True)[:3])
list(products.filter(sku__iexact="sku-00001"))
list(products.annotate(uname=Upper("sku")).filter(uname__startswith="SKU")[:4])
list(Review.objects.annotate(who=Coalesce("user_id", Value(0))).values("who")[:5])
list(Category.objects.annotate(n=Count("products")).filter(n__gt=0).order_by("-n"))
list(Category.objects.annotate(n=Count("products", distinct=True)).values("name", "n"))
products.aggregate(total=Sum("stock"), mean=Avg("price"), top=Max("price"), low=Min("price"))
products.count()
# DRF's paginated COUNT of a distinct / sliced list: COUNT(*) FROM (...) subquery
products.filter(reviews__rating__gte=1).distinct().count()
products.order_by("-id")[5:15].count()
list(
    products.annotate(
        rank=Window(RowNumber(), partition_by=[F("category_id")], order_by=F("price").desc())
    ).values("id", "rank")[:3]
)
list(products.filter(created_at__month__gte=1).values("id")[:2])  # EXTRACT(MONTH ...)
list(products.annotate(week=TruncWeek("created_at")).values("week").annotate(n=Count("id")))
products.filter(stock__gt=0).exists()
for ids in ([1], [1, 2], [1, 2, 3, 4, 5, 6, 7]):
    list(products.filter(id__in=ids).values_list("sku", flat=True))
list(products.exclude(category_id__in=[1, 2]).only("id")[:2])
list(products.order_by("-price")[5:15])
list(products.order_by("id")[20:])
list(Review.objects.filter(user__isnull=True)[:3])
list(Review.objects.filter(user__isnull=False).values("rating").annotate(c=Count("id")))
list(User.objects.filter(is_staff=True, is_active=True))
list(User.objects.filter(is_superuser=False).values_list("username", flat=True))
list(products.filter(Q(stock__lt=5) | Q(price__gte=Decimal("100.00"))).values("id")[:5])
list(products.filter(stock__range=(1, 50)).values("id")[:5])
list(products.filter(stock__gt=-1).values("id")[:1])
list(products.annotate(n=Length("name")).filter(n__gte=3).values("n")[:1])
list(products.annotate(p=Substr("sku", 1, 3)).values("p").distinct())
list(products.annotate(label=Concat("sku", Value(" "), "name")).values("label")[:2])
list(
    products.annotate(
        level=Case(When(stock__gt=10, then=Value(2)), default=Value(0), output_field=IntegerField())
    ).values("level")[:3]
)
reviewed = Review.objects.filter(product=OuterRef("pk"))
list(products.annotate(reviewed=Exists(reviewed)).filter(reviewed=True).values("id")[:3])
latest = Review.objects.filter(product=OuterRef("pk")).order_by("-id").values("rating")[:1]
list(products.annotate(last=Subquery(latest)).values("id", "last")[:3])
list(products.filter(category__in=Category.objects.filter(name__startswith="B")).values("id"))
list(products.select_related("category").filter(category__slug="books")[:2])
list(products.filter(created_at__lte=Now()).values("id")[:1])
list(products.annotate(s=Cast("stock", output_field=CharField())).values("s")[:1])
list(products.annotate(i=Cast("price", output_field=IntegerField())).values("i")[:1])
list(products.filter(sku__regex=r"^SKU-0+1$").values("id"))
list(products.annotate(y=ExtractYear("created_at")).values("y").distinct())
list(PageView.objects.annotate(d=TruncDate("created_at")).values("d").annotate(n=Count("id"))[:3])
list(products.annotate(g=Greatest("stock", Value(1))).values("g")[:1])
list(products.filter(created_at__year=2024).values("id")[:1])
list(products.order_by("?").values("id")[:1])
with transaction.atomic():
    list(products.select_for_update(skip_locked=True).filter(id__in=[1, 2]))
list(Order.objects.prefetch_related("items").filter(status="placed")[:2])
with transaction.atomic():
    category = Category.objects.create(name="Digest test", slug="digest-test")
    Product.objects.bulk_create(
        Product(
            sku=f"DIGEST-{n}",
            name=f"digest {n}",
            price=Decimal("1.50"),
            stock=n,
            category=category,
            supplier_code="SUP-000",
        )
        for n in range(3)
    )
    Product.objects.filter(category=category).update(stock=F("stock") + 1)
    Product.objects.filter(category=category, stock__lte=-5).update(price=Decimal("2.00"))
    Product.objects.filter(category=category).delete()
    category.delete()
alice = User.objects.get(username="alice")
cart, _ = Cart.objects.get_or_create(user=alice)
CartItem.objects.filter(cart=cart, quantity__gt=1000).delete()
with connection.cursor() as cursor:
    # Hand-written SQL matches when its identifiers are backquoted (docs/db-health.md).
    cursor.execute("SELECT /* stock */ COUNT(*) FROM `shop_product` WHERE `stock` > %s", [0])
    cursor.execute("SELECT `id` FROM `shop_product` -- first\nORDER BY `id` LIMIT 1 OFFSET 2")
    cursor.execute("SELECT COUNT(DISTINCT `category_id`) AS `n` FROM `shop_product`")
    cursor.execute("SELECT `id` FROM `shop_product` WHERE `description` IS NULL OR TRUE LIMIT 2, 3")
