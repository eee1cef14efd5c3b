"""Demo data of the analytics module: two years of repeat purchases with a shape worth analysing,
then the customer value scores, as the nightly job computes them, so the customer page's value
card and the customer value page have figures at once.

The sales demo's orders are a few random ones per customer: enough for the order pages, but
nothing to learn from. Here a share of the customers buy the way real customers do (the
BG/NBD story): each at their own rate, each purchase a chance of being their last, so some are
still buying and some have quietly stopped; and products come in bundles (a printer with its
toner), so the cross-sell rules and the churn model find something real.
"""

from __future__ import annotations

import datetime
import math
import random
from decimal import Decimal

from django.utils import timezone

from kehu.core.demo import DemoContext, generator

#: Customers given a purchase history: a share of the demo's customers, at most this many.
MAX_BUYERS = 800
DAYS = 730
NUMBER_PREFIX = "AN"


@generator(880, "two years of repeat purchases (for analytics)")
def purchase_histories(ctx: DemoContext) -> None:
    from kehu.core.actions import bulk_create_audited
    from kehu.customers.models import Customer
    from kehu.sales.models import Payment, SalesOrder, SalesOrderLine
    from kehu.system.models import Product

    if SalesOrder.objects.filter(number__startswith=NUMBER_PREFIX).exists():
        return
    products = list(Product.objects.filter(is_active=True).order_by("code")[:40])
    if len(products) < 4:
        return
    buyers = list(
        Customer.objects.filter(merged_into__isnull=True)
        .exclude(pk__in=SalesOrder.objects.values("customer_id"))
        .order_by("pk")[: min(MAX_BUYERS, max(40, ctx.customers // 25))]
    )
    rng = random.Random(ctx.seed * 7919 + 15)
    today = timezone.localdate()
    orders, baskets = [], []
    for customer in buyers:
        for day in _purchase_days(rng, today):
            basket = [
                (product, quantity, price, discount, _line_total(quantity, price, discount))
                for product, quantity, price, discount in _basket(rng, products)
            ]
            order = _order(customer, day, today, len(orders))
            order.subtotal = order.total = sum((line[4] for line in basket), Decimal(0))
            orders.append(order)
            baskets.append(basket)
    orders = bulk_create_audited(SalesOrder, orders)
    lines, payments = [], []
    for order, basket in zip(orders, baskets, strict=True):
        lines.extend(
            SalesOrderLine(
                order=order,
                position=position,
                product=product,
                quantity=quantity,
                unit_price=price,
                discount_percent=discount,
                line_total=line_total,
            )
            for position, (product, quantity, price, discount, line_total) in enumerate(basket)
        )
        paid = order.order_date + datetime.timedelta(days=rng.randint(5, 45))
        if paid <= today and rng.random() > 0.04:
            payments.append(_payment(order, paid, len(payments)))
    bulk_create_audited(SalesOrderLine, lines)
    bulk_create_audited(Payment, payments)
    ctx.out(f"  {len(buyers)} customers, {len(orders)} orders, {len(lines)} lines")


def _purchase_days(rng: random.Random, today: datetime.date) -> list[datetime.date]:
    """One customer's purchase days: first purchase some time in the last two years, then a
    Poisson process at the customer's own rate (gamma-distributed, one every ~45 days on
    average), each purchase with its own chance (beta-distributed) of being the last."""
    rate = rng.gammavariate(2.0, 1 / 90)
    dropout = rng.betavariate(1.2, 6.0)
    day = DAYS * math.sqrt(rng.random())  # days ago; more long-standing customers than new
    days = []
    while day >= 1:
        days.append(today - datetime.timedelta(days=int(day)))
        if rng.random() < dropout:
            break
        day -= rng.expovariate(rate)
    return days


def _basket(rng: random.Random, products: list) -> list[tuple]:
    """A main product (the first ones more often), its companion (the next product in the
    catalogue, 65 % of the time) and now and then something else; (product, quantity, price,
    discount %) with a few planted oddities for the outlier check."""
    bundles = len(products) // 2
    main = min(int(rng.paretovariate(1.2)) - 1, bundles - 1)
    chosen = [products[2 * main]]
    if rng.random() < 0.65:
        chosen.append(products[2 * main + 1])
    if rng.random() < 0.15:
        extra = rng.choice(products)
        if extra not in chosen:
            chosen.append(extra)
    lines = []
    for p in chosen:
        quantity = Decimal(rng.choice((1, 1, 2, 3, 5, 10)))
        discount = Decimal(rng.choice((0, 0, 0, 5)))
        if rng.random() < 0.004:  # now and then a deal nobody should have signed off
            discount = Decimal(rng.randint(35, 60))
        if rng.random() < 0.003:  # … or a typo in the quantity
            quantity *= 50
        lines.append((p, quantity, p.list_price or Decimal(rng.randint(50, 3000)), discount))
    return lines


def _line_total(quantity: Decimal, price: Decimal, discount: Decimal) -> Decimal:
    return (quantity * price * (100 - discount) / 100).quantize(Decimal("0.01"))


def _order(customer, day: datetime.date, today: datetime.date, n: int):
    from kehu.sales.models import SalesOrder

    age = (today - day).days
    status = (
        SalesOrder.Status.DELIVERED
        if age > 30
        else SalesOrder.Status.SHIPPED
        if age > 7
        else SalesOrder.Status.CONFIRMED
    )
    return SalesOrder(
        number=f"{NUMBER_PREFIX}{n + 1:06d}",
        customer=customer,
        currency="CNY",
        order_date=day,
        payment_due=day + datetime.timedelta(days=30),
        status=status,
        confirmed_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(10))),
        owner_id=customer.owner_id,
        department_id=customer.department_id,
    )


def _payment(order, paid_on: datetime.date, n: int):
    from kehu.sales.models import Payment

    return Payment(
        number=f"{NUMBER_PREFIX}P{n + 1:06d}",
        customer_id=order.customer_id,
        order=order,
        currency="CNY",
        amount=order.total,
        paid_on=paid_on,
        method=Payment.Method.choices[0][0],
        owner_id=order.owner_id,
        department_id=order.department_id,
    )


@generator(900, "customer value scores (RFM, ABC, lifetime value, churn risk)")
def customer_values(ctx: DemoContext) -> None:
    from .refresh import refresh_customer_values

    refresh_customer_values()


# KPI targets: their own module, imported here so that `kehu demo` runs its generator.
from . import kpi_demo  # noqa: E402, F401
