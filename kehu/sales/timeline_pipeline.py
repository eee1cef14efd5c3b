"""The customer page's deals: stage changes in the 360° timeline and a "Deals" panel."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from .models import Opportunity, Stage, StageHistory


def _name(user) -> str:
    if user is None:
        return ""
    return getattr(user, "display_name", "") or user.get_username()


def deal_entries(customer, user, *, before, limit):
    """One entry per stage change of the customer's deals the user may see (the first one is the
    deal's opening): newest first, one query."""
    from kehu.customers.timeline import TimelineEntry

    qs = StageHistory.objects.visible_to(user).filter(opportunity__customer=customer)
    if before is not None:
        qs = qs.filter(changed_at__lte=before)
    qs = qs.select_related("opportunity", "to_stage", "from_stage", "changed_by")
    for row in qs.order_by("-changed_at", "-pk")[:limit]:
        deal = row.opportunity
        amount = f"{deal.currency} {row.amount:,.2f}"
        if row.from_stage_id is None:
            title = _("Deal opened: %(deal)s") % {"deal": deal.name}
            icon, badges = "bi-briefcase", [(str(row.to_stage), "secondary")]
        elif row.to_stage.kind == Stage.Kind.WON:
            title = _("Deal won: %(deal)s") % {"deal": deal.name}
            icon, badges = "bi-trophy", [(str(row.to_stage), "success")]
        elif row.to_stage.kind == Stage.Kind.LOST:
            title = _("Deal lost: %(deal)s") % {"deal": deal.name}
            icon, badges = "bi-x-octagon", [(str(row.to_stage), "danger")]
        else:
            title = _("Deal moved: %(deal)s") % {"deal": deal.name}
            icon, badges = "bi-arrow-right-circle", [(str(row.to_stage), "primary")]
        summary = amount
        if row.from_stage_id is not None:
            summary = f"{row.from_stage} → {row.to_stage} · {amount}"
        if row.to_stage.kind == Stage.Kind.LOST and deal.lost_reason:
            summary += " · " + deal.lost_reason
        yield TimelineEntry(
            when=row.changed_at,
            kind="deal",
            icon=icon,
            title=title,
            summary=summary,
            url=deal.get_absolute_url(),
            actor=_name(row.changed_by),
            badges=badges,
        )


def deals_panel(customer, user) -> dict | None:
    """Open / won / lost counts and amounts, and the latest deals (two queries); ``None`` (no
    card) when the customer has no deal the user may see."""
    qs = Opportunity.objects.visible_to(user).filter(customer=customer)
    totals = qs.aggregate(
        open=Count("id", filter=Q(status=Opportunity.Status.OPEN)),
        open_amount=Sum("amount", filter=Q(status=Opportunity.Status.OPEN)),
        won=Count("id", filter=Q(status=Opportunity.Status.WON)),
        won_amount=Sum("amount", filter=Q(status=Opportunity.Status.WON)),
        lost=Count("id", filter=Q(status=Opportunity.Status.LOST)),
    )
    if not (totals["open"] or totals["won"] or totals["lost"]):
        return None  # no card for a customer without deals (the page keeps its placeholder)
    deals = list(qs.select_related("stage").order_by("-created_at", "-pk")[:5])
    return {"totals": totals, "deals": deals, "customer_id": customer.pk}


def my_deals_card(request) -> dict:
    """The home dashboard's "My open deals": counts, weighted amount, stalled, the next to
    close (three queries)."""
    from django.urls import reverse

    from .pipeline_reports import open_pipeline_summary

    mine = Opportunity.objects.visible_to(request.user).filter(owner=request.user)
    closing = list(
        mine.filter(status=Opportunity.Status.OPEN, expected_close__isnull=False)
        .order_by("expected_close", "pk")
        .only("id", "name", "amount", "expected_close")[:5]
    )
    base = reverse("sales:opportunity_list")
    return {
        "summary": open_pipeline_summary(mine),
        "closing": closing,
        "open_url": f"{base}?status=open&owner={request.user.pk}",
        "stalled_url": f"{base}?stalled=true&owner={request.user.pk}",
    }
