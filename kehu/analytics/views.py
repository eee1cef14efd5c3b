"""Analytics pages: customer value (RFM segments and ABC tiers) within the reader's scope.

Every figure comes from :mod:`kehu.analytics.rfm`'s SQL over the booked orders the user may
see (:func:`kehu.analytics.purchases.order_purchases`): a handful of rows back from the
database whatever the number of customers.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import F, FloatField
from django.db.models.functions import Cast
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.access_rules import access_rule, perm

from .churn_crm import reason_label
from .models import ChurnRun, CustomerValue
from .purchases import order_purchases
from .rfm import abc_tiers, rfm_members, rfm_segments, segment_labels

VIEW = "sales.view_salesorder"
PERIODS = {"12": 12, "24": 24, "36": 36, "all": None}


def _since(months: int | None) -> datetime.date | None:
    if months is None:
        return None
    today = timezone.localdate()
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return today.replace(year=year, month=month + 1, day=1)


def _pareto_chart(curve) -> dict:
    return {"option": _pareto_option(curve)}


def _pareto_option(curve) -> dict:
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 36, "bottom": 30, "top": 40, "containLabel": True},
        "xAxis": {
            "type": "value",
            "max": 100,
            "name": _("Share of customers"),
            "nameLocation": "middle",
            "nameGap": 28,
        },
        "yAxis": {
            "type": "value",
            "max": 100,
            "name": _("Share of the amount"),
            "nameTextStyle": {"align": "left"},
        },
        "series": [
            {
                "name": _("Cumulative share of the amount"),
                "type": "line",
                "smooth": True,
                "showSymbol": False,
                "areaStyle": {"opacity": 0.15},
                "data": [[round(x * 100, 1), round(y * 100, 1)] for x, y in curve],
                "markLine": {
                    "silent": True,
                    "symbol": "none",
                    "data": [{"yAxis": 80}, {"yAxis": 95}],
                },
            }
        ],
    }


AT_RISK = 20


def at_risk(user) -> tuple[int, list]:
    """The customers in ``user``'s scope most likely to stop buying (risk ≥ 50 %), the largest
    value at risk (risk × amount of the last 24 months) first, with their reasons translated;
    and how many there are."""
    from kehu.customers.models import Customer

    risky = CustomerValue.objects.filter(
        customer__in=Customer.objects.visible_to(user), churn_risk__gte=0.5
    )
    rows = list(
        risky.select_related("customer")
        .annotate(at_stake=F("churn_risk") * Cast("monetary", FloatField()))
        .order_by("-at_stake", "customer_id")[:AT_RISK]
    )
    for row in rows:
        row.reasons = [reason_label(k, *rest[1:]) for k, *rest in row.churn_reasons or ()]
    return risky.count(), rows


@access_rule(perm(VIEW))
def customer_value(request):
    """客户价值: RFM segments with what to do about each, ABC tiers and the Pareto curve; a
    segment's customers on request (``?segment=``)."""
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    period = request.GET.get("period", "24")
    period = period if period in PERIODS else "24"
    sql, params = order_purchases(request.user, since=_since(PERIODS[period]))
    labels = segment_labels()
    with connection.cursor() as cursor:
        segments = rfm_segments(cursor, sql, params)
        tiers, curve = abc_tiers(cursor, sql, params)
        chosen = next((s for s in segments if s.segment == request.GET.get("segment")), None)
        members = rfm_members(cursor, sql, params, chosen.cells) if chosen else []
    total = sum(s.customers for s in segments)
    for s in segments:
        s.label, s.advice = labels[s.segment]
        s.share = s.customers / total if total else 0
    if members:
        from kehu.customers.models import Customer

        names = Customer.objects.visible_to(request.user).in_bulk([m.customer for m in members])
        for m in members:
            m.record = names.get(m.customer)
    return render(
        request,
        "analytics/customer_value.html",
        {
            "segments": segments,
            "total": total,
            "tiers": tiers,
            "pareto": _pareto_chart(curve),
            "chosen": chosen,
            "members": members,
            "at_risk": at_risk(request.user),
            "churn_run": ChurnRun.objects.order_by("-computed_at").first(),
            "period": period,
            "periods": [
                ("12", _("Last 12 months")),
                ("24", _("Last 24 months")),
                ("36", _("Last 36 months")),
                ("all", _("All time")),
            ],
        },
    )
