"""The customer's 360° view: order tracking events in the timeline, and a panel with the
customer's orders, contracts and receivables."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F, Sum
from django.utils.translation import gettext as _

from ..actions import collections as coll
from ..models import Contract, OrderEvent, SalesOrder

STATUS_BADGE = {
    "draft": "secondary",
    "confirmed": "primary",
    "shipped": "info",
    "delivered": "warning",
    "completed": "success",
    "cancelled": "dark",
}
ICONS = {
    "draft": "bi-receipt",
    "confirmed": "bi-check2-circle",
    "shipped": "bi-truck",
    "delivered": "bi-box-seam",
    "completed": "bi-flag",
    "cancelled": "bi-x-circle",
}


def order_entries(customer, user, *, before, limit):
    """Each step of the tracking timeline of the customer's orders the user may see."""
    from kehu.customers.timeline import TimelineEntry

    qs = OrderEvent.objects.visible_to(user).filter(order__customer=customer)
    if before is not None:
        qs = qs.filter(at__lte=before)
    qs = qs.select_related("order", "actor").order_by("-at", "-pk")[:limit]
    for e in qs:
        yield TimelineEntry(
            when=e.at,
            kind="order",
            icon=ICONS.get(e.to_status, "bi-receipt"),
            title=_("Order %(number)s: %(status)s")
            % {"number": e.order.number, "status": e.get_to_status_display()},
            summary=e.note,
            url=e.order.get_absolute_url(),
            actor=str(e.actor) if e.actor_id else "",
            badges=[(e.get_to_status_display(), STATUS_BADGE.get(e.to_status, "secondary"))],
        )


def sales_panel(customer, user) -> dict | None:
    """Recent orders and contracts, and what the customer owes (visible records only)."""
    orders = list(
        SalesOrder.objects.visible_to(user)
        .filter(customer=customer)
        .only("id", "number", "status", "total", "order_date")
        .order_by("-order_date", "-pk")[:5]
    )
    contracts = list(
        Contract.objects.visible_to(user)
        .filter(customer=customer)
        .only("id", "number", "title", "status", "amount", "end_date")
        .order_by("-pk")[:5]
    )
    if not orders and not contracts:
        return None
    for o in orders:
        o.badge = STATUS_BADGE.get(o.status, "secondary")
    open_total = Decimal("0")
    overdue = Decimal("0")
    from django.utils import timezone

    today = timezone.localdate()
    for qs in coll.receivable_querysets(user):
        qs = qs.filter(r_customer=customer.pk).annotate(open=F("amount_due") - F("paid"))
        open_total += qs.aggregate(s=Sum("open"))["s"] or 0
        overdue += qs.filter(due__lt=today).aggregate(s=Sum("open"))["s"] or 0
    return {
        "orders": orders,
        "contracts": contracts,
        "open_total": open_total,
        "overdue": overdue,
        "credit_limit": customer.credit_limit,
    }
