"""Churn risk of the company's own customers, learned from its own history, with reasons.

The question a manager asks is "which active customers will stop buying, and why?". An active
customer is one with a booked order in the year before a date; they *churned* when they book
nothing in the ``horizon`` days after it. The model (:mod:`kehu.analytics.churn`'s logistic
regression) is trained on the situation ``horizon`` days ago — features as of then, the outcome
observed since — and applied to today's active customers with today's features. Features are
what the CRM knows at that date: purchase recency, frequency, amount and trend, tenure, contact
by the sales team (activities) and the customer's kind, level and industry. The lifecycle stage
is left out on purpose: it is itself derived from recent purchases *now*, so for the past date
it would leak the outcome.

Each customer's reasons are the features pushing their risk up most (coefficient × standardised
value), stored as feature keys and shown in the reader's language (:func:`reason_label`).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.db.models import Count, Max, Min, Q, Sum
from django.utils.translation import gettext as _

from kehu.customers.models import Activity, Customer
from kehu.sales.models.orders import BOOKED_STATUSES, SalesOrder

from .churn import ChurnDataError, ChurnReport, fit_churn

__all__ = ["ChurnScores", "churn_scores", "reason_label"]

HORIZON_DAYS = 90
ACTIVE_DAYS = 365
#: Days since the last activity when a customer has none at all (a long silence, not zero).
NO_ACTIVITY = 730
CATEGORIES = ("kind", "level", "industry")
TARGET = "churned"


def feature_labels() -> dict[str, str]:
    """The number features' names in the reader's language (keys are stored with the scores)."""
    return {
        "days_since_order": _("Days since the last order"),
        "purchase_days_12m": _("Purchase days in the last 12 months"),
        "amount_12m": _("Amount in the last 12 months"),
        "average_order": _("Average amount per purchase day"),
        "trend_6m": _("Purchase days, last 6 months minus the 6 before"),
        "tenure_days": _("Days since the first order"),
        "days_since_activity": _("Days since the last contact by the sales team"),
        "activities_90d": _("Contacts by the sales team in the last 90 days"),
    }


def reason_label(key: str, direction: str = "") -> str:
    """``"days_since_order"`` → "Days since the last order"; with ``direction`` "+" or "-"
    (the customer's value above or below the average) "… high" / "… low"; ``"level = vip"`` →
    "Level: VIP" (a category pushes when the customer has it: no direction)."""
    if " = " in key:
        field, value = key.split(" = ", 1)
        try:
            model_field = Customer._meta.get_field(field)
        except Exception:  # noqa: BLE001 — a key from an older model version: shown raw
            return key
        choices = dict(model_field.flatchoices or ())
        shown = _("(none)") if value == "" else choices.get(value, value)
        if value == "(other)":
            shown = _("other")
        return f"{str(model_field.verbose_name).capitalize()}: {shown}"
    name = key.removesuffix(" (missing)")
    label = feature_labels().get(name, name)
    if key.endswith(" (missing)"):
        return _("%(feature)s unknown") % {"feature": label}
    if direction == "+":
        return _("%(feature)s: high") % {"feature": label}
    if direction == "-":
        return _("%(feature)s: low") % {"feature": label}
    return label


def _features(as_of: datetime.date) -> dict[int, dict[str, str]]:
    """One row of features per customer active in the year before ``as_of`` (orders strictly
    before it), as strings in the shape :func:`kehu.analytics.churn.fit_churn` reads."""
    year_ago = as_of - datetime.timedelta(days=ACTIVE_DAYS)
    half_ago = as_of - datetime.timedelta(days=ACTIVE_DAYS // 2)
    before = Q(order_date__lt=as_of)
    last_year = Q(order_date__gte=year_ago, order_date__lt=as_of)
    orders = (
        SalesOrder.objects.filter(status__in=BOOKED_STATUSES, order_date__lt=as_of)
        .values("customer_id")
        .annotate(
            last=Max("order_date", filter=before),
            first=Min("order_date", filter=before),
            days_12m=Count("order_date", distinct=True, filter=last_year),
            amount_12m=Sum("total", filter=last_year),
            recent=Count("order_date", distinct=True, filter=Q(order_date__gte=half_ago) & before),
        )
        .filter(last__gte=year_ago)
        .order_by()
    )
    rows: dict[int, dict[str, str]] = {}
    for o in orders:
        days = o["days_12m"] or 0
        amount = float(o["amount_12m"] or 0)
        rows[o["customer_id"]] = {
            "days_since_order": str((as_of - o["last"]).days),
            "purchase_days_12m": str(days),
            "amount_12m": f"{amount:.2f}",
            "average_order": f"{amount / days:.2f}" if days else "0",
            "trend_6m": str(o["recent"] - (days - o["recent"])),
            "tenure_days": str((as_of - o["first"]).days),
            "days_since_activity": str(NO_ACTIVITY),
            "activities_90d": "0",
        }
    _add_activities(rows, as_of)
    for c in Customer.objects.filter(pk__in=list(rows)).values("pk", *CATEGORIES).order_by():
        rows[c["pk"]].update({f: c[f] or "" for f in CATEGORIES})
    return rows


def _add_activities(rows: dict[int, dict[str, str]], as_of: datetime.date) -> None:
    if not rows:
        return
    moment = datetime.datetime.combine(as_of, datetime.time.min, tzinfo=datetime.UTC)
    recent = moment - datetime.timedelta(days=90)
    per_customer = (
        Activity.objects.filter(
            start_at__lt=moment, start_at__gte=moment - datetime.timedelta(days=NO_ACTIVITY)
        )
        .values("customer_id")
        .annotate(last=Max("start_at"), n90=Count("pk", filter=Q(start_at__gte=recent)))
        .order_by()
    )
    for a in per_customer:
        row = rows.get(a["customer_id"])
        if row is not None:
            row["days_since_activity"] = str(max(0, (moment - a["last"]).days))
            row["activities_90d"] = str(a["n90"])


def _bought_between(start: datetime.date, end: datetime.date) -> set[int]:
    return set(
        SalesOrder.objects.filter(
            status__in=BOOKED_STATUSES, order_date__gte=start, order_date__lt=end
        )
        .values_list("customer_id", flat=True)
        .distinct()
    )


@dataclass
class ChurnScores:
    report: ChurnReport
    as_of: datetime.date
    horizon_days: int
    risk: dict[int, float]
    #: Per customer: (feature key, contribution, "+" above average / "-" below).
    reasons: dict[int, list[tuple[str, float, str]]]


def churn_scores(*, today: datetime.date, horizon_days: int = HORIZON_DAYS) -> ChurnScores:
    """Train on the customers active ``horizon_days`` ago, score today's active customers.

    Raises :class:`~kehu.analytics.churn.ChurnDataError` when the history cannot teach a model
    (fewer than 20 customers, or nobody churned / everybody did)."""
    then = today - datetime.timedelta(days=horizon_days)
    past = _features(then)
    came_back = _bought_between(then, today)
    training = [{**row, TARGET: "1" if pk not in came_back else "0"} for pk, row in past.items()]
    if not training:
        raise ChurnDataError("no customer was active a year before the training date")
    report = fit_churn(training, target=TARGET)
    now = _features(today)
    ids = list(now)
    rows = [now[pk] for pk in ids]
    risk = report.model.predict(rows) if rows else []
    reasons = [
        [(name, weight, "+" if z > 0 else "-") for name, weight, z in line]
        for line in (report.model.explain(rows) if rows else [])
    ]
    return ChurnScores(
        report=report,
        as_of=today,
        horizon_days=horizon_days,
        risk={pk: float(r) for pk, r in zip(ids, risk, strict=True) if math.isfinite(r)},
        reasons=dict(zip(ids, reasons, strict=True)),
    )
