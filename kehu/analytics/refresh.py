"""The nightly refresh of computed customer attributes (RFM, ABC) for the whole company.

A system job, not a user's view: it ranks every customer against every other over all booked
orders (no data scope applies to the computation; the customer page shows a customer's own
figures only to users who may open that customer). Rewrites the cache in one transaction.
"""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.utils import timezone

from kehu.sales.models.orders import BOOKED_STATUSES, SalesOrder

from .models import CustomerValue
from .rfm import abc_sql, rfm_sql

#: The period the stored scores cover (months back from today).
MONTHS = 24
BATCH = 5000


def company_purchases(since: datetime.date) -> tuple[str, tuple]:
    qs = SalesOrder.objects.filter(status__in=BOOKED_STATUSES, order_date__gte=since).order_by()
    inner, params = qs.values("customer_id", "order_date", "total").query.sql_with_params()
    sql = (
        f"SELECT o.customer_id AS customer, o.order_date AS day, o.total AS amount FROM ({inner}) o"
    )
    return sql, tuple(params)


def refresh_customer_values(*, months: int = MONTHS) -> int:
    """Recompute every customer's RFM and tier; returns the number of customers scored."""
    today = timezone.localdate()
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    since = today.replace(year=year, month=month + 1, day=1)
    sql, params = company_purchases(since)
    now = timezone.now()
    with connection.cursor() as cursor:
        scores = rfm_sql(cursor, sql, params, as_of=today)
        tiers = {row.customer: row.tier for row in abc_sql(cursor, sql, params)}
    rows = [
        CustomerValue(
            customer_id=s.customer,
            last_order=s.last_day,
            frequency=s.frequency,
            monetary=s.monetary,
            r=s.r,
            f=s.f,
            m=s.m,
            segment=s.segment,
            tier=tiers.get(s.customer, "C"),
            computed_at=now,
        )
        for s in scores
    ]
    with transaction.atomic():
        CustomerValue.objects.all().delete()
        CustomerValue.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)
