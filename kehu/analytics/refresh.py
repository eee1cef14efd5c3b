"""The nightly refresh of computed customer attributes (RFM, ABC) for the whole company.

A system job, not a user's view: it ranks every customer against every other over all booked
orders (no data scope applies to the computation; the customer page shows a customer's own
figures only to users who may open that customer). Rewrites the cache in one transaction.
"""

from __future__ import annotations

import datetime
import math
from decimal import Decimal

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from kehu.sales.models.orders import BOOKED_STATUSES, SalesOrder

from .churn import ChurnDataError
from .churn_crm import churn_scores
from .clv import ModelFitError, clv, fit_bgnbd, fit_gamma_gamma
from .models import ChurnRun, CustomerValue, NeedSegment, ProductRule
from .needs import need_segments
from .outliers import refresh_outliers
from .rfm import abc_sql, rfm_sql
from .rules import rules_from_baskets

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
        lifetime = _lifetime_values(cursor, sql, params, today)
    churn = _churn(today, now)
    before = dict(
        CustomerValue.objects.filter(churn_risk__isnull=False).values_list(
            "customer_id", "churn_risk"
        )
    )
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
            **lifetime.get(s.customer, {}),
            **churn.get(s.customer, {}),
            churn_risk_before=before.get(s.customer),
            computed_at=now,
        )
        for s in scores
    ]
    segments, fit = need_segments({r.customer_id: r for r in rows}, since=since)
    with transaction.atomic():
        CustomerValue.objects.all().delete()
        CustomerValue.objects.bulk_create(rows, batch_size=BATCH)
        NeedSegment.objects.all().delete()
        NeedSegment.objects.bulk_create(
            NeedSegment(computed_at=now, silhouette=fit, **segment) for segment in segments
        )
    refresh_product_rules(since=since)
    refresh_sequence_rules(since=since)
    refresh_outliers(months=months)
    return len(rows)


def _churn(today: datetime.date, now: datetime.datetime) -> dict:
    """Churn risk and reasons per active customer; the model's evaluation saved as a
    :class:`ChurnRun`. Nothing (and no run) when the history cannot teach a model."""
    try:
        scores = churn_scores(today=today)
    except ChurnDataError:
        return {}
    report = scores.report
    ChurnRun.objects.create(
        computed_at=now,
        horizon_days=scores.horizon_days,
        customers=report.rows,
        held_out=report.held_out,
        churn_rate=report.churn_rate,
        auc=_finite(report.auc),
        top_decile_precision=_finite(report.top_decile_precision),
        strongest=[[name, round(weight, 4)] for name, weight in report.strongest],
    )
    return {
        pk: {
            "churn_risk": risk,
            "churn_reasons": [[k, round(v, 4), d] for k, v, d in scores.reasons.get(pk, [])],
        }
        for pk, risk in scores.risk.items()
    }


#: Fewer customers than this, or no repeat buyers: no lifetime model (it would say nothing).
MIN_CUSTOMERS = 30


def _lifetime_values(cursor, sql: str, params, today: datetime.date) -> dict:
    """P(alive), expected purchase days and CLV over the next 12 months per customer, from
    BG/NBD + Gamma-Gamma fitted on everyone's purchase days (weeks as the time unit)."""
    cursor.execute(
        f"SELECT customer, day, SUM(amount) FROM ({sql}) p GROUP BY customer, day "
        "ORDER BY customer, day",
        params,
    )
    people: dict = {}
    for customer, day, amount in cursor.fetchall():
        day = day if isinstance(day, datetime.date) else datetime.date.fromisoformat(str(day)[:10])
        people.setdefault(customer, []).append((day, float(amount or 0)))
    if len(people) < MIN_CUSTOMERS:
        return {}
    ids = list(people)
    x = np.array([len(people[c]) - 1 for c in ids], dtype=float)
    t_x = np.array([(people[c][-1][0] - people[c][0][0]).days / 7 for c in ids])
    age = np.array([max((today - people[c][0][0]).days, 1) / 7 for c in ids])
    t_x = np.minimum(t_x, age)
    spend = np.array(
        [np.mean([a for _, a in people[c][1:]]) if len(people[c]) > 1 else 0.0 for c in ids]
    )
    try:
        model = fit_bgnbd(x, t_x, age)
        money = fit_gamma_gamma(x, spend)
    except ModelFitError:
        return {}
    alive = model.probability_alive(x, t_x, age)
    expected = model.expected_purchases(52, x, t_x, age)
    value = (
        clv(model, money, x, t_x, age, spend, periods=12, period_length=52 / 12)
        if money.q > 1
        else None
    )
    out = {}
    for i, c in enumerate(ids):
        out[c] = {
            "p_alive": _finite(alive[i]),
            "expected_orders": _finite(expected[i]),
            "clv": None
            if value is None or _finite(value[i]) is None
            else Decimal(str(round(float(value[i]), 2))),
        }
    return out


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def refresh_product_rules(*, since: datetime.date, keep: int = 500) -> int:
    """Rules "bought A (and B) → also buys C" from the products of booked orders since
    ``since``: support ≥ 10 orders (at least 0.1 %), confidence ≥ 10 %, one product offered."""
    from kehu.sales.models.orders import SalesOrderLine

    lines = (
        SalesOrderLine.objects.filter(
            order__status__in=BOOKED_STATUSES, order__order_date__gte=since
        )
        .order_by()
        .values_list("order_id", "product_id")
    )
    baskets: dict[int, set[str]] = {}
    for order_id, product_id in lines.iterator(chunk_size=10000):
        baskets.setdefault(order_id, set()).add(str(product_id))
    found = []
    if baskets:
        support = max(10 / len(baskets), 0.001)
        if support <= 1:
            found = rules_from_baskets(
                baskets.values(), min_support=support, min_confidence=0.1, max_len=3
            )
    now = timezone.now()
    rows = [
        ProductRule(
            antecedent=",".join(sorted(r.antecedent, key=int)),
            consequent_id=int(r.consequent[0]),
            support=r.support,
            confidence=r.confidence,
            lift=r.lift,
            computed_at=now,
        )
        for r in found
        if len(r.consequent) == 1 and r.lift > 1
    ][:keep]
    with transaction.atomic():
        ProductRule.objects.filter(gap_days__isnull=True).delete()
        ProductRule.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def refresh_sequence_rules(*, since: datetime.date, keep: int = 500) -> int:
    """Rules "bought A, later bought B, typically N days later" from customers' booked orders
    since ``since``: support ≥ 10 customers (at least 0.5 %), confidence ≥ 10 %, lift > 1, one
    product each side — what the customer page shows as due next."""
    from kehu.sales.models.orders import SalesOrderLine

    from .sequences import customer_sequences, sequence_rules

    lines = (
        SalesOrderLine.objects.filter(
            order__status__in=BOOKED_STATUSES, order__order_date__gte=since
        )
        .order_by()
        .values_list("order__customer_id", "order__order_date", "product_id")
        .distinct()
    )
    customers = customer_sequences(
        (c, day, str(p)) for c, day, p in lines.iterator(chunk_size=10000)
    )
    found = []
    if customers:
        support = max(10 / len(customers), 0.005)
        if support <= 1:
            found = sequence_rules(customers, min_support=support, min_confidence=0.1, max_length=2)
    now = timezone.now()
    rows = [
        ProductRule(
            antecedent=r.antecedent[0],
            consequent_id=int(r.consequent),
            support=r.support,
            confidence=r.confidence,
            lift=r.lift,
            gap_days=r.gap_days,
            computed_at=now,
        )
        for r in found
        if r.lift > 1  # A → A is kept: consumables bought again after a typical interval
    ][:keep]
    with transaction.atomic():
        ProductRule.objects.filter(gap_days__isnull=False).delete()
        ProductRule.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)
