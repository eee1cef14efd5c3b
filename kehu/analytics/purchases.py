"""The CRM's purchases as the relation the analytics SQL reads: ``(customer, day, amount)``.

Booked sales orders (confirmed and later, not cancelled) the user may see — the restricted
queryset, so every figure stays inside the reader's data scope — as SQL with its parameters,
for :mod:`kehu.analytics.rfm` to aggregate in the database.
"""

from __future__ import annotations

import datetime

from kehu.sales.models.orders import BOOKED_STATUSES, SalesOrder

__all__ = ["order_purchases"]


def order_purchases(
    user, *, since: datetime.date | None = None, until: datetime.date | None = None
) -> tuple[str, tuple]:
    qs = SalesOrder.objects.visible_to(user).filter(status__in=BOOKED_STATUSES)
    if since:
        qs = qs.filter(order_date__gte=since)
    if until:
        qs = qs.filter(order_date__lte=until)
    inner, params = (
        qs.order_by().values("customer_id", "order_date", "total").query.sql_with_params()
    )
    sql = (
        f"SELECT o.customer_id AS customer, o.order_date AS day, o.total AS amount FROM ({inner}) o"
    )
    return sql, tuple(params)
