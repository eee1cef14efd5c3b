"""Outliers (孤立点): orders, prices, discounts and payments unlike the rest, each with a score and
a reason a person can check.

Robust statistics, because the outliers themselves must not move the yardstick: the median and
the median absolute deviation (MAD, scaled by 1.4826 so it estimates σ for normal data), and the
modified z-score ``(x − median) / (1.4826·MAD)``; above 3.5 is Iglewicz and Hoaglin's usual
cut-off. Each kind also needs a plain-sense size (a discount of at least 20 points above the
usual, a price under 60 % or over 180 % of the usual, an order five times the customer's usual)
so that a product always sold at one price does not flag a one-yuan rounding.

- **discount**: a line's discount against the same product's discounts;
- **price**: a line's net unit price against the same product's (on a log scale: prices are
  ratios);
- **order**: an order's total against the same customer's other orders (log scale, at least four
  of them);
- **payment**: more paid on an order than its total.

Computed nightly for the whole company over the last 24 months (:func:`refresh_outliers`), stored
as :class:`~kehu.analytics.models.Outlier` rows; the page lists those on orders the reader may
see.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from kehu.sales.models import Payment
from kehu.sales.models.orders import BOOKED_STATUSES, SalesOrder, SalesOrderLine

__all__ = ["modified_z", "refresh_outliers"]

CUT_OFF = 3.5
MIN_PEERS = 5
MIN_CUSTOMER_ORDERS = 4
SCALE = 1.4826
#: Discounts: a spread of less than 5 points counts as 5 (a product always sold at list price
#: makes an ordinary 10 % infinitely unusual otherwise), and 20 points above the usual at least.
DISCOUNT_FLOOR = 5.0
DISCOUNT_GAP = 20.0


def modified_z(values: np.ndarray, x: float, *, floor: float = 0.0) -> tuple[float, float]:
    """(modified z-score of ``x`` among ``values``, their median); the MAD never below
    ``floor`` (all-equal peers would otherwise make any difference infinite)."""
    median = float(np.median(values))
    mad = max(float(np.median(np.abs(values - median))) * SCALE, floor)
    if mad == 0:
        return (0.0 if x == median else math.inf), median
    return (x - median) / mad, median


def _net(line) -> float:
    return float(line["unit_price"]) * (1 - float(line["discount_percent"]) / 100)


def line_outliers(lines: list[dict]) -> list[dict]:
    """Discount and price outliers among order lines (dicts with order_id, product_id,
    product name, unit_price, discount_percent), each line against its product's other lines."""
    by_product: dict[int, list[dict]] = defaultdict(list)
    for line in lines:
        by_product[line["product_id"]].append(line)
    found = []
    for peers in by_product.values():
        if len(peers) < MIN_PEERS:
            continue
        discounts = np.array([float(p["discount_percent"]) for p in peers])
        nets = np.array([_net(p) for p in peers])
        positive = nets > 0
        logs = np.log(nets[positive]) if positive.sum() >= MIN_PEERS else None
        for line, discount, net in zip(peers, discounts, nets, strict=True):
            z, usual = modified_z(discounts, discount, floor=DISCOUNT_FLOOR)
            if z >= CUT_OFF and discount - usual >= DISCOUNT_GAP:
                found.append(
                    _finding(line, "discount", z, discount=round(discount, 2), usual=usual)
                )
                continue
            if logs is None or net <= 0:
                continue
            z, usual_log = modified_z(logs, math.log(net), floor=math.log(1.05))
            ratio = net / math.exp(usual_log)
            if abs(z) >= CUT_OFF and (ratio < 0.6 or ratio > 1.8):
                found.append(
                    _finding(
                        line,
                        "price",
                        abs(z),
                        price=round(net, 2),
                        usual=round(math.exp(usual_log), 2),
                    )
                )
    return found


def _finding(line: dict, kind: str, score: float, **facts) -> dict:
    return {
        "order_id": line["order_id"],
        "kind": kind,
        "score": round(min(score, 999.0), 2),
        "facts": {"product": line.get("product_name", ""), **facts},
    }


def order_outliers(orders: list[dict]) -> list[dict]:
    """Orders far from the same customer's usual order total (dicts with id, customer_id,
    total), each against the customer's other orders."""
    by_customer: dict[int, list[dict]] = defaultdict(list)
    for order in orders:
        if order["total"] and order["total"] > 0:
            by_customer[order["customer_id"]].append(order)
    found = []
    for mine in by_customer.values():
        if len(mine) <= MIN_CUSTOMER_ORDERS:
            continue
        logs = np.log([float(o["total"]) for o in mine])
        for i, order in enumerate(mine):
            others = np.delete(logs, i)
            z, usual_log = modified_z(others, logs[i], floor=math.log(1.5))
            ratio = math.exp(logs[i] - usual_log)
            if abs(z) >= CUT_OFF and (ratio >= 5 or ratio <= 0.2):
                found.append(
                    {
                        "order_id": order["id"],
                        "kind": "order",
                        "score": round(min(abs(z), 999.0), 2),
                        "facts": {
                            "total": round(float(order["total"]), 2),
                            "usual": round(math.exp(usual_log), 2),
                            "ratio": round(ratio, 2),
                        },
                    }
                )
    return found


def payment_outliers(orders: dict[int, Decimal], paid: dict[int, Decimal]) -> list[dict]:
    """Orders paid for more than their total (a double payment, a mistyped amount)."""
    found = []
    for order_id, amount in paid.items():
        total = orders.get(order_id)
        if total is not None and total > 0 and amount > total * Decimal("1.001"):
            found.append(
                {
                    "order_id": order_id,
                    "kind": "payment",
                    "score": round(float(amount / total), 2),
                    "facts": {"paid": round(float(amount), 2), "total": round(float(total), 2)},
                }
            )
    return found


def refresh_outliers(*, months: int = 24) -> int:
    """Recompute every outlier of the last ``months`` months (a system job: company-wide
    yardsticks; the page filters by the reader's scope). Returns how many were found."""
    from .models import Outlier

    since = timezone.localdate() - datetime.timedelta(days=round(months * 30.44))
    booked = SalesOrder.objects.filter(status__in=BOOKED_STATUSES, order_date__gte=since)
    lines = list(
        SalesOrderLine.objects.filter(order__in=booked.values("pk"))
        .values("order_id", "product_id", "unit_price", "discount_percent")
        .order_by()
    )
    names = _product_names({line["product_id"] for line in lines})
    for line in lines:
        line["product_name"] = names.get(line["product_id"], "")
    orders = list(booked.values("id", "customer_id", "total").order_by())
    paid = dict(
        Payment.objects.filter(order__in=booked.values("pk"))
        .values("order_id")
        .annotate(s=Sum("amount"))
        .values_list("order_id", "s")
        .order_by()
    )
    found = [
        *line_outliers(lines),
        *order_outliers(orders),
        *payment_outliers({o["id"]: o["total"] for o in orders}, paid),
    ]
    now = timezone.now()
    with transaction.atomic():
        Outlier.objects.all().delete()
        Outlier.objects.bulk_create([Outlier(computed_at=now, **f) for f in found], batch_size=2000)
    return len(found)


def _product_names(ids: set[int]) -> dict[int, str]:
    from kehu.system.models import Product

    return {p.pk: str(p) for p in Product.objects.filter(pk__in=ids)}
