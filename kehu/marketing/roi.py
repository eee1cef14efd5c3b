"""What campaigns returned: cost, members, responses, leads, and the revenue of won deals
attributed first-touch and last-touch, side by side.

A *touch* is a customer's response to a campaign (a member who responded or converted, at the
time of the response) or a lead the campaign brought that became the customer (at the time
the lead came in; a lead names its campaign by number or by name). A won deal of that customer
closed after one or more touches counts for the earliest of them (first touch) and for the
latest (last touch). Deals are read in the reader's own scope (the restricted queryset), so
two people may see different revenue for one campaign: each sees what they may see.

The sales module is read through the app registry (``apps.get_model``): marketing and sales do
not import each other. Queries: a constant handful, whatever the number of campaigns.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, Q

from .models import Campaign, CampaignMember

ZERO = Decimal("0")
RESPONDED = (
    CampaignMember.Status.RESPONDED,
    CampaignMember.Status.CONVERTED,
    CampaignMember.Status.REGISTERED,
    CampaignMember.Status.ATTENDED,
)


@dataclass
class CampaignReturn:
    campaign: Campaign
    members: int = 0
    responses: int = 0
    leads: int = 0
    converted_leads: int = 0
    first_touch: Decimal = ZERO
    last_touch: Decimal = ZERO
    first_deals: int = 0
    last_deals: int = 0
    deal_ids: set[int] = field(default_factory=set)

    @property
    def cost(self) -> Decimal:
        return self.campaign.actual_cost

    @property
    def response_rate(self) -> float | None:
        return self.responses / self.members if self.members else None

    @property
    def response_percent(self) -> int | None:
        return round(100 * self.responses / self.members) if self.members else None

    @property
    def cost_per_lead(self) -> Decimal | None:
        return (self.cost / self.leads).quantize(Decimal("0.01")) if self.leads else None

    @property
    def lead_conversion(self) -> float | None:
        return self.converted_leads / self.leads if self.leads else None

    def roi(self, revenue: Decimal) -> float | None:
        """(revenue − cost) / cost; None when nothing was spent."""
        return float((revenue - self.cost) / self.cost) if self.cost else None

    @property
    def roi_first(self) -> float | None:
        return self.roi(self.first_touch)

    @property
    def roi_last(self) -> float | None:
        return self.roi(self.last_touch)


def _lead_model():
    try:
        return apps.get_model("sales", "Lead")
    except LookupError:  # the sales module is not installed
        return None


def _deal_model():
    try:
        return apps.get_model("sales", "Opportunity")
    except LookupError:
        return None


def campaign_returns(campaigns: list[Campaign], *, user) -> list[CampaignReturn]:
    """The returns of ``campaigns`` (already restricted to what ``user`` may see)."""
    rows = {c.pk: CampaignReturn(c) for c in campaigns}
    if not rows:
        return []
    counts = (
        CampaignMember.objects.filter(campaign_id__in=rows)
        .values("campaign_id")
        .annotate(n=Count("pk"), r=Count("pk", filter=Q(status__in=RESPONDED)))
    )
    for row in counts:
        rows[row["campaign_id"]].members = row["n"]
        rows[row["campaign_id"]].responses = row["r"]

    # Every campaign's touches (first touch must be first among all campaigns, seen or not).
    by_key = dict(Campaign.objects.values_list("number", "pk"))
    by_key.update(dict(Campaign.objects.values_list("name", "pk")))
    touches: dict[int, list[tuple[datetime.datetime, int]]] = {}
    for customer_id, campaign_id, when in CampaignMember.objects.filter(
        status__in=RESPONDED, customer__isnull=False, responded_at__isnull=False
    ).values_list("customer_id", "campaign_id", "responded_at"):
        touches.setdefault(customer_id, []).append((when, campaign_id))
    Lead = _lead_model()
    if Lead is not None:
        for key, customer_id, when in (
            Lead.objects.exclude(campaign="")
            .filter(campaign__in=list(by_key))
            .values_list("campaign", "converted_customer_id", "created_at")
        ):
            campaign_id = by_key[key]
            if campaign_id in rows:
                rows[campaign_id].leads += 1
                rows[campaign_id].converted_leads += customer_id is not None
            if customer_id is not None:
                touches.setdefault(customer_id, []).append((when, campaign_id))
    Deal = _deal_model()
    if Deal is None or not touches:
        return list(rows.values())
    won = (
        Deal.objects.visible_to(user)
        .filter(status="won", customer_id__in=list(touches), closed_at__isnull=False)
        .values_list("pk", "customer_id", "closed_at", "amount")
    )
    for deal_id, customer_id, closed_at, amount in won:
        before = sorted(t for t in touches[customer_id] if t[0] <= closed_at)
        if not before:
            continue
        first, last = before[0][1], before[-1][1]
        if first in rows:
            rows[first].first_touch += amount
            rows[first].first_deals += 1
            rows[first].deal_ids.add(deal_id)
        if last in rows:
            rows[last].last_touch += amount
            rows[last].last_deals += 1
            rows[last].deal_ids.add(deal_id)
    return list(rows.values())


def totals(returns: list[CampaignReturn]) -> dict[str, Decimal | int]:
    return {
        "cost": sum((r.cost for r in returns), ZERO),
        "budget": sum((r.campaign.budget for r in returns), ZERO),
        "members": sum(r.members for r in returns),
        "responses": sum(r.responses for r in returns),
        "leads": sum(r.leads for r in returns),
        "first_touch": sum((r.first_touch for r in returns), ZERO),
        "last_touch": sum((r.last_touch for r in returns), ZERO),
    }
