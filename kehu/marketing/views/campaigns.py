"""A campaign's page (members, costs, its return), a plan's page (plan against actual), the
member and cost actions behind them, and the ROI report."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.access_rules import access_rule, perm, record
from kehu.core.pickers import picker_html
from kehu.core.query import date_param
from kehu.core.views import ObjectDetailView
from kehu.customers.models import Contact, Customer

from .. import roi
from ..actions import campaigns as actions
from ..actions.events import registration_url
from ..models import Campaign, CampaignCost, CampaignMember
from .mailings import mailings_context

VIEW = "marketing.view_campaign"
CHANGE = "marketing.change_campaign"
MEMBERS_SHOWN = 100
PLACEHOLDERS = "{{ name }} {{ company }} {{ title }} {{ owner }} {{ unsubscribe_url }}"


def _editable(campaign: Campaign, user) -> bool:
    return (
        user.has_perm(CHANGE) and Campaign.objects.editable_by(user).filter(pk=campaign.pk).exists()
    )


def _status_counts(campaign: Campaign) -> list[tuple[str, str, int]]:
    counts = dict(campaign.members.values_list("status").annotate(n=Count("pk")).order_by())
    return [(code, label, counts.get(code, 0)) for code, label in CampaignMember.Status.choices]


class CampaignDetailView(ObjectDetailView):
    """The generic record page plus the campaign's return, members and costs."""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        campaign = ctx["object"]
        user = self.request.user
        status = self.request.GET.get("member_status", "")
        members = campaign.members.select_related("customer", "contact").order_by("-pk")
        if status in CampaignMember.Status.values:
            members = members.filter(status=status)
        ctx.update(
            result=roi.campaign_returns([campaign], user=user)[0],
            member_status_counts=_status_counts(campaign),
            members=list(members[:MEMBERS_SHOWN]),
            member_status=status,
            member_statuses=CampaignMember.Status.choices,
            costs=list(campaign.costs.order_by("-date", "-pk")),
            cost_categories=CampaignCost.Category.choices,
            can_edit_campaign=_editable(campaign, user),
            today=datetime.date.today(),
            email_placeholders=PLACEHOLDERS,
            registration_url=registration_url(campaign) if campaign.registration_key else "",
            **mailings_context(campaign),
        )
        if ctx["can_edit_campaign"]:
            ctx["customer_picker"] = picker_html(
                "customers",
                Customer.objects.visible_to(user),
                user=user,
                multiple=True,
                required=False,
                attrs={"id": "add-customers"},
            )
            ctx["contact_picker"] = picker_html(
                "contacts",
                Contact.objects.visible_to(user),
                user=user,
                multiple=True,
                required=False,
                attrs={"id": "add-contacts"},
            )
        return ctx


class PlanDetailView(ObjectDetailView):
    """The generic record page plus plan against actual: budget, leads and revenue."""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        plan = ctx["object"]
        user = self.request.user
        campaigns = list(Campaign.objects.visible_to(user).filter(plan=plan).order_by("start_date"))
        returns = roi.campaign_returns(campaigns, user=user)
        total = roi.totals(returns)
        ctx.update(
            returns=returns,
            total=total,
            progress=[
                (_("Budget spent"), total["cost"], plan.budget),
                (_("Leads"), total["leads"], plan.lead_goal),
                (_("Revenue (first touch)"), total["first_touch"], plan.revenue_goal),
            ],
        )
        return ctx


def _campaign(request, pk: int) -> Campaign:
    return get_object_or_404(Campaign.objects.visible_to(request.user), pk=pk)


def _back(campaign: Campaign, anchor: str):
    return redirect(campaign.get_absolute_url() + anchor)


def _ids(request, name: str) -> list[int]:
    return [int(v) for v in request.POST.getlist(name) if v.isdigit()][:5000]


@access_rule(record("marketing.campaign", CHANGE))
@login_required
@require_POST
def add_members(request, pk: int):
    """Add the chosen customers and contacts (only those the user may see)."""
    campaign = _campaign(request, pk)
    user = request.user
    customers = Customer.objects.visible_to(user).filter(pk__in=_ids(request, "customers"))
    contacts = Contact.objects.visible_to(user).filter(pk__in=_ids(request, "contacts"))
    n = actions.add_members(campaign=campaign, user=user, customers=customers, contacts=contacts)
    messages.success(request, _("%(n)s members added.") % {"n": n})
    return _back(campaign, "#members")


@access_rule(record("marketing.campaign", CHANGE))
@login_required
@require_POST
def member_response(request, pk: int, member_pk: int):
    campaign = _campaign(request, pk)
    member = get_object_or_404(CampaignMember, pk=member_pk, campaign=campaign)
    try:
        actions.record_response(
            member=member,
            user=request.user,
            status=request.POST.get("status", ""),
            response=request.POST.get("response", "")[:300],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(campaign, "#members")


@access_rule(record("marketing.campaign", CHANGE))
@login_required
@require_POST
def member_remove(request, pk: int, member_pk: int):
    campaign = _campaign(request, pk)
    member = get_object_or_404(CampaignMember, pk=member_pk, campaign=campaign)
    actions.remove_member(member=member, user=request.user)
    return _back(campaign, "#members")


@access_rule(record("marketing.campaign", CHANGE))
@login_required
@require_POST
def cost_add(request, pk: int):
    campaign = _campaign(request, pk)
    try:
        actions.add_cost(
            campaign=campaign,
            user=request.user,
            amount=request.POST.get("amount", "")[:30],
            date=date_param(request.POST.get("date"), name="date"),
            category=request.POST.get("category", ""),
            note=request.POST.get("note", "")[:300],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(campaign, "#costs")


@access_rule(record("marketing.campaign", CHANGE))
@login_required
@require_POST
def cost_remove(request, pk: int, cost_pk: int):
    campaign = _campaign(request, pk)
    cost = get_object_or_404(CampaignCost, pk=cost_pk, campaign=campaign)
    actions.remove_cost(cost=cost, user=request.user)
    return _back(campaign, "#costs")


# --- ROI -----------------------------------------------------------------------------------------


def roi_chart(returns: list[roi.CampaignReturn]) -> dict:
    names = [r.campaign.name for r in returns]
    series = [
        (_("Cost"), [float(r.cost) for r in returns]),
        (_("Revenue, first touch"), [float(r.first_touch) for r in returns]),
        (_("Revenue, last touch"), [float(r.last_touch) for r in returns]),
    ]
    return {
        "option": {
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            "legend": {"top": 0},
            "grid": {"left": 8, "right": 16, "bottom": 8, "top": 36, "containLabel": True},
            "xAxis": {
                "type": "category",
                "data": names,
                "axisTick": {"show": False},
                "axisLabel": {"interval": 0, "rotate": 30 if len(names) > 6 else 0},
            },
            "yAxis": {"type": "value"},
            "series": [{"name": n, "type": "bar", "data": d} for n, d in series],
        }
    }


@access_rule(perm(VIEW))
@login_required
def roi_report(request):
    """Every campaign the user may see, started in the period (default: this year): cost,
    responses, leads and attributed revenue, with a chart."""
    from django.core.exceptions import PermissionDenied

    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    today = datetime.date.today()
    start = date_param(request.GET.get("start"), name="start") or today.replace(month=1, day=1)
    end = date_param(request.GET.get("end"), name="end") or today.replace(month=12, day=31)
    kind = request.GET.get("kind", "")
    campaigns = Campaign.objects.visible_to(request.user).filter(
        start_date__gte=start, start_date__lte=end
    )
    if kind in Campaign.Kind.values:
        campaigns = campaigns.filter(kind=kind)
    returns = roi.campaign_returns(
        list(campaigns.order_by("start_date", "pk")[:200]), user=request.user
    )
    return render(
        request,
        "marketing/roi.html",
        {
            "returns": returns,
            "total": roi.totals(returns),
            "chart": roi_chart(returns),
            "start": start,
            "end": end,
            "kind": kind,
            "kinds": Campaign.Kind.choices,
        },
    )
