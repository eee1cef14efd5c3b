"""The 10C view of one customer: the functional spec's ten questions about a customer on one
page, each answered with the figures the CRM already has and linked to the screen that acts on
it (edit the profile, target the segment, quote the offer, open a deal, log a care call…).

The ten Cs: profile (档案), segment (细分), one-to-one offers (一对一), value (价值),
satisfaction (满意度), loyalty (忠诚度), development (发展), retention (保持),
acquisition (获取), profitability (盈利能力).

Figures about orders, deals and service come from the records the reader may see
(``visible_to``), never from everyone's: a salesperson's 10C page of a shared customer shows
their own part of the business. The stored scores (RFM, CLV, churn risk) are company-wide
by design, as on the value card, and say when they were computed. A fixed number of queries
whatever the customer's history.
"""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

from django.db.models import Count, Max, Min, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .churn_crm import reason_label
from .models import CustomerValue, NeedSegment
from .panels import due_offers, next_best_offers
from .rfm import segment_labels

#: The profile fields a complete customer record has (contacts are counted as one more).
PROFILE_FIELDS = (
    "phone",
    "email",
    "city",
    "address",
    "postcode",
    "website",
    "industry",
    "level",
    "customer_type",
    "source",
    "credit_rating",
)
MONTHS = 24


@dataclasses.dataclass
class C:
    """One of the ten: a headline figure, details, and the screen that acts on it."""

    code: str
    title: str
    headline: str
    details: list[tuple[str, str]]
    action: str = ""
    action_url: str = ""
    tone: str = ""  # "", "good", "warn"


def _since() -> datetime.date:
    today = timezone.localdate()
    return today.replace(year=today.year - MONTHS // 12)


def _money(value) -> str:
    return f"{(value or Decimal(0)):,.2f}"


def profile(customer) -> C:
    filled = [n for n in PROFILE_FIELDS if getattr(customer, n)]
    missing = [
        str(customer._meta.get_field(n).verbose_name) for n in PROFILE_FIELDS if n not in filled
    ]
    contacts = customer.contacts.count()
    total = len(PROFILE_FIELDS) + 1
    done = len(filled) + (1 if contacts else 0)
    if not contacts:
        missing.append(_("contacts"))
    share = round(100 * done / total)
    return C(
        "profile",
        _("Profile"),
        f"{share}%",
        [(_("Missing"), "、".join(missing) or "—"), (_("Contacts"), str(contacts))],
        _("Complete the profile"),
        reverse("customers:customer_edit", args=[customer.pk]),
        "good" if share >= 80 else "warn",
    )


def segment(customer, value: CustomerValue | None) -> C:
    if value is None:
        return C("segment", _("Segment"), "—", [(_("Scores"), _("not computed yet"))])
    label, _advice = segment_labels()[value.segment]
    need = NeedSegment.objects.filter(number=value.need_segment).first()
    details = [(_("Value tier"), value.tier), (_("RFM"), f"{value.r}{value.f}{value.m}")]
    if need:
        details.append((_("Need segment"), str(need.label)))
    return C(
        "segment",
        _("Segment"),
        str(label),
        details,
        _("Customers like this one"),
        reverse("customers:customer_list") + f"?rfm_segment={value.segment}",
    )


def one_to_one(customer) -> C:
    offers = next_best_offers(customer.pk)
    due = due_offers(customer.pk)
    details = [
        (str(p), _("bought together, %(p)s%%") % {"p": round(100 * c)}) for p, c, _l in offers
    ]
    details += [
        (str(o["product"]), _("due %(date)s") % {"date": o["due"].isoformat()}) for o in due
    ]
    headline = str(due[0]["product"]) if due else (str(offers[0][0]) if offers else "—")
    return C(
        "one_to_one",
        _("One-to-one offers"),
        headline,
        details or [(_("Offers"), _("none yet: no rules match this customer's purchases"))],
        _("New quote"),
        reverse("sales:quote_add") + f"?customer={customer.pk}",
    )


def value(customer, value: CustomerValue | None, orders) -> C:
    revenue = orders.aggregate(total=Sum("total"))["total"]
    details = [(_("Revenue, last %(n)s months") % {"n": MONTHS}, _money(revenue))]
    if value is not None:
        details += [
            (_("Purchase days"), str(value.frequency)),
            (_("Value over the next 12 months"), _money(value.clv) if value.clv else "—"),
        ]
    return C(
        "value",
        _("Value"),
        _money(value.clv) if value is not None and value.clv else _money(revenue),
        details,
        _("Customer value"),
        reverse("analytics:customer_value"),
    )


def satisfaction(customer, requests) -> C:
    from kehu.service.models import ServiceRequest

    year = timezone.now() - datetime.timedelta(days=365)
    counts = requests.filter(created_at__gte=year).aggregate(
        all=Count("pk"),
        complaints=Count("pk", filter=Q(type=ServiceRequest.Type.COMPLAINT)),
        breached=Count("pk", filter=Q(resolution_met=False)),
    )
    tone = "warn" if counts["complaints"] or counts["breached"] else "good"
    return C(
        "satisfaction",
        _("Satisfaction"),
        ngettext("%(n)s complaint", "%(n)s complaints", counts["complaints"])
        % {"n": counts["complaints"]},
        [
            (_("Service requests, 12 months"), str(counts["all"])),
            (_("Resolved late"), str(counts["breached"])),
        ],
        _("Service requests"),
        reverse("service:servicerequest_list") + f"?customer={customer.pk}",
        tone,
    )


def loyalty(customer, value: CustomerValue | None, first_order) -> C:
    start = first_order or customer.registered_on
    years = (timezone.localdate() - start).days / 365.25
    details = [(_("Customer since"), start.isoformat())]
    if value is not None and value.p_alive is not None:
        details.append((_("Probability still active"), f"{round(100 * value.p_alive)}%"))
    return C("loyalty", _("Loyalty"), _("%(y).1f years") % {"y": years}, details)


def development(customer, lines, deals) -> C:
    from kehu.system.models import ProductCategory

    bought = lines.values("product__category").distinct().count()
    categories = ProductCategory.objects.count()
    open_deals = deals.filter(status="open").aggregate(n=Count("pk"), amount=Sum("amount"))
    coverage = round(100 * bought / categories) if categories else 0
    return C(
        "development",
        _("Development"),
        _("%(p)s%% of categories") % {"p": coverage},
        [
            (_("Categories bought"), f"{bought} / {categories}"),
            (_("Open deals"), f"{open_deals['n']} · {_money(open_deals['amount'])}"),
        ],
        _("New opportunity"),
        reverse("sales:opportunity_add") + f"?customer={customer.pk}",
    )


def retention(customer, value: CustomerValue | None, last_order) -> C:
    details = []
    if last_order:
        details.append((_("Days since last order"), str((timezone.localdate() - last_order).days)))
    risk = value.churn_risk if value is not None else None
    if risk is not None:
        details += [
            (_("Reason"), str(reason_label(key, *rest[1:])))
            for key, *rest in (value.churn_reasons or ())[:3]
        ]
    return C(
        "retention",
        _("Retention"),
        _("churn risk %(p)s%%") % {"p": round(100 * risk)} if risk is not None else "—",
        details or [(_("Orders"), _("none yet"))],
        _("Log a care call"),
        reverse("customers:activity_add") + f"?customer={customer.pk}",
        "warn" if risk is not None and risk >= 0.5 else "good",
    )


def acquisition(customer, first_order) -> C:
    source = customer.get_source_display() if customer.source else "—"
    details = [(_("Registered"), customer.registered_on.isoformat())]
    if first_order:
        days = (first_order - customer.registered_on).days
        details.append((_("Days to first order"), str(max(days, 0))))
    return C("acquisition", _("Acquisition"), str(source), details)


def profitability(customer, orders, requests) -> C:
    sums = orders.aggregate(
        revenue=Sum("total"), discount=Sum("discount_total"), orders=Count("pk")
    )
    served = requests.count()
    return C(
        "profitability",
        _("Profitability"),
        _money(sums["revenue"]),
        [
            (_("Discounts given"), _money(sums["discount"])),
            (_("Orders"), str(sums["orders"])),
            (_("Service requests (cost to serve)"), str(served)),
            (_("Note"), _("net revenue after discounts: products carry no cost price yet")),
        ],
        _("Sales reports"),
        reverse("analytics:pivot") + f"?rows=product&f_customer={customer.pk}",
    )


def ten_cs(customer, user) -> list[C]:
    """The ten cards for ``customer`` as ``user`` may see its business."""
    from kehu.sales.models import Opportunity, SalesOrder
    from kehu.sales.models.orders import BOOKED_STATUSES, SalesOrderLine
    from kehu.service.models import ServiceRequest

    value_row = CustomerValue.objects.filter(customer_id=customer.pk).first()
    booked = SalesOrder.objects.visible_to(user).filter(
        customer=customer, status__in=BOOKED_STATUSES
    )
    dates = booked.aggregate(first=Min("order_date"), last=Max("order_date"))
    recent = booked.filter(order_date__gte=_since())
    lines = SalesOrderLine.objects.filter(order__in=recent)
    requests = ServiceRequest.objects.visible_to(user).filter(customer=customer)
    deals = Opportunity.objects.visible_to(user).filter(customer=customer)
    return [
        profile(customer),
        segment(customer, value_row),
        one_to_one(customer),
        value(customer, value_row, recent),
        satisfaction(customer, requests),
        loyalty(customer, value_row, dates["first"]),
        development(customer, lines, deals),
        retention(customer, value_row, dates["last"]),
        acquisition(customer, dates["first"]),
        profitability(customer, recent, requests),
    ]
