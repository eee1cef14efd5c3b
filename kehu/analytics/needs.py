"""Need-based segments of the CRM's customers (需求细分), refreshed nightly with the value scores.

What a customer needs shows in what they buy: each buying customer is described by the share of
their spend in each of the company's main product categories (the eight largest, the rest as
"other categories"), their purchase days and their average spend per purchase day (log), and
clustered by :func:`kehu.analytics.clusters.cluster` (k chosen by silhouette). Each segment is
named by what sets it apart ("打印耗材 62 % of spend, all customers 18 %").
"""

from __future__ import annotations

import datetime
import math

from django.db.models import Sum

from kehu.sales.models.orders import BOOKED_STATUSES, SalesOrderLine

from .clusters import ClusterInputError, cluster

__all__ = ["need_segments", "trait_label"]

TOP_CATEGORIES = 8
OTHER = "other"
MIN_CUSTOMERS = 30


def need_segments(values: dict, *, since: datetime.date) -> tuple[list[dict], float | None]:
    """Assign ``need_segment`` on the :class:`CustomerValue` objects in ``values`` (customer id →
    object, not saved here); return the segments' profiles and the mean silhouette, or nothing
    when fewer than ``MIN_CUSTOMERS`` customers bought."""
    spend: dict[int, dict] = {}
    totals: dict = {}
    rows = (
        SalesOrderLine.objects.filter(
            order__status__in=BOOKED_STATUSES, order__order_date__gte=since
        )
        .values_list("order__customer_id", "product__category_id")
        .annotate(s=Sum("line_total"))
        .order_by()
    )
    for customer, category, amount in rows:
        if customer in values and amount:
            spend.setdefault(customer, {})[category] = float(amount)
            totals[category] = totals.get(category, 0.0) + float(amount)
    if len(spend) < MIN_CUSTOMERS:
        return [], None
    top = sorted(totals, key=lambda c: -totals[c])[:TOP_CATEGORIES]
    features = [f"category:{c}" for c in top] + [f"category:{OTHER}", "frequency", "log_spend"]
    ids = sorted(spend)
    table = []
    for pk in ids:
        amounts = spend[pk]
        whole = sum(amounts.values()) or 1.0
        row = {f"category:{c}": amounts.get(c, 0.0) / whole for c in top}
        row[f"category:{OTHER}"] = sum(v for c, v in amounts.items() if c not in top) / whole
        value = values[pk]
        row["frequency"] = float(value.frequency)
        row["log_spend"] = math.log1p(float(value.monetary) / max(value.frequency, 1))
        table.append(row)
    try:
        result = cluster(table, features, max_k=6)
    except ClusterInputError:
        return [], None
    for pk, label in zip(ids, result.labels, strict=True):
        values[pk].need_segment = int(label) + 1
    profiles = [
        {
            "number": p.cluster + 1,
            "size": p.size,
            "traits": [[f, round(m, 4), round(a, 4)] for f, m, a in p.distinctive[:2]],
        }
        for p in result.profiles
    ]
    return profiles, result.silhouettes[result.k]


def trait_label(feature: str, mean: float, overall: float, names: dict) -> str:
    """One trait of a segment in the reader's language: "打印耗材 62 % of spend (all: 18 %)"."""
    from django.utils.translation import gettext as _

    if feature.startswith("category:"):
        key = feature.split(":", 1)[1]
        name = _("other categories") if key == OTHER else names.get(int(key), key)
        return _("%(category)s %(share)s %% of spend (all: %(all)s %%)") % {
            "category": name,
            "share": round(mean * 100),
            "all": round(overall * 100),
        }
    if feature == "frequency":
        return _("%(n)s purchase days (all: %(all)s)") % {
            "n": round(mean, 1),
            "all": round(overall, 1),
        }
    return _("%(amount)s per purchase day (all: %(all)s)") % {
        "amount": f"{math.expm1(mean):,.0f}",
        "all": f"{math.expm1(overall):,.0f}",
    }
