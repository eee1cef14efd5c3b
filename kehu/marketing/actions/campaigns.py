"""Campaigns, their members and costs, and marketing plans: the rules every writer goes through
(pages, API, imports, bulk actions, the demo)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.audit import audited_bulk_create, audited_bulk_delete
from kehu.core.fields import quantize
from kehu.core.numbering import take_numbers
from kehu.customers.models import Contact, Customer

from ..models import Campaign, CampaignCost, CampaignMember, MarketingPlan

CAMPAIGN_NUMBER_PATTERN = "HD{YYYY}{MM}{seq:4}"
#: The member statuses that are a response (they get a response time).
RESPONSES = ("responded", "converted", "registered", "attended")
CHANGE = "marketing.change_campaign"


class CampaignError(StrEnum):
    """Error codes of the marketing actions (``ValidationError.code``)."""

    DATES = "dates"
    NEGATIVE = "negative"
    NO_PERSON = "no_person"
    BAD_AMOUNT = "bad_amount"
    OUT_OF_PLAN = "out_of_plan"
    CLOSED = "closed"


def _error(name: str, message: str, code: CampaignError) -> ValidationError:
    return ValidationError({name: ValidationError(message, code=str(code))})


def _own(obj, user) -> None:
    if not obj.owner_id:
        obj.owner = user
    if not obj.department_id:
        obj.department_id = obj.owner.department_id


def _check_dates(obj, what: str) -> None:
    if obj.start_date and obj.end_date and obj.end_date < obj.start_date:
        raise _error(
            "end_date",
            _("The %(what)s cannot end before it starts.") % {"what": what},
            CampaignError.DATES,
        )


@transaction.atomic
def save_plan(plan: MarketingPlan, *, user) -> MarketingPlan:
    """Create or update a marketing plan (owned by its creator)."""
    if plan._state.adding:
        _own(plan, user)
    _check_dates(plan, _("plan"))
    plan.full_clean(exclude=["owner", "department"] if plan.department_id is None else None)
    plan.save()
    return plan


@transaction.atomic
def save_campaign(campaign: Campaign, *, user) -> Campaign:
    """Create or update a campaign: numbered on creation, dates in order, and inside its plan's
    period when it belongs to a plan."""
    if campaign._state.adding:
        _own(campaign, user)
        if not campaign.number:
            campaign.number = take_numbers(
                CAMPAIGN_NUMBER_PATTERN,
                1,
                queryset=Campaign.objects.all(),
                field="number",
                label="marketing.campaign",
            )[0]
    _check_dates(campaign, _("campaign"))
    plan = campaign.plan
    if (
        plan is not None
        and campaign.start_date
        and not (plan.start_date <= campaign.start_date <= plan.end_date)
    ):
        raise _error(
            "start_date",
            _("The campaign starts outside its plan's period (%(start)s – %(end)s).")
            % {"start": plan.start_date, "end": plan.end_date},
            CampaignError.OUT_OF_PLAN,
        )
    campaign.full_clean(exclude=["owner", "department"] if campaign.department_id is None else None)
    campaign.save()
    return campaign


def check_campaign_editable(*, campaign: Campaign, user) -> Campaign:
    """The campaign, locked, if ``user`` (None: a system writer) may change it."""
    if user is not None and (
        not user.has_perm(CHANGE)
        or not Campaign.objects.editable_by(user).filter(pk=campaign.pk).exists()
    ):
        raise PermissionDenied
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


# --- Members -------------------------------------------------------------------------------------


def _member_email(contact: Contact | None, customer: Customer | None) -> str:
    if contact is not None and contact.email:
        return contact.email
    return getattr(customer, "email", "") or ""


@transaction.atomic
def add_members(
    *,
    campaign: Campaign,
    user,
    customers: Iterable[Customer] = (),
    contacts: Iterable[Contact] = (),
    leads: Iterable[Any] = (),
) -> int:
    """Add people to a campaign's members; people already in it are left as they are. Only
    records ``user`` may see are added (the caller passes visible ones; this checks again).
    Returns how many were added."""
    campaign = check_campaign_editable(campaign=campaign, user=user)
    customers = list(customers)
    contacts = list(contacts)
    leads = list(leads)
    if user is not None:
        visible_customers = set(
            Customer.objects.visible_to(user)
            .filter(pk__in=[c.pk for c in customers])
            .values_list("pk", flat=True)
        )
        visible_contacts = set(
            Contact.objects.visible_to(user)
            .filter(pk__in=[c.pk for c in contacts])
            .values_list("pk", flat=True)
        )
        customers = [c for c in customers if c.pk in visible_customers]
        contacts = [c for c in contacts if c.pk in visible_contacts]
    return create_members(campaign=campaign, customers=customers, contacts=contacts, leads=leads)


def create_members(
    *, campaign: Campaign, customers: Iterable[Customer], contacts=(), leads=()
) -> int:
    """Write the members (people already in the campaign skipped). The caller has checked the
    campaign may be changed and that the people are visible: :func:`add_members` and the
    segment materialisation, which reads a restricted queryset."""
    members = CampaignMember.objects.filter(campaign=campaign)
    have_customers = set(
        members.filter(contact__isnull=True, customer__isnull=False).values_list(
            "customer_id", flat=True
        )
    )
    have_contacts = set(members.filter(contact__isnull=False).values_list("contact_id", flat=True))
    have_leads = set(members.filter(lead_id__isnull=False).values_list("lead_id", flat=True))
    new: list[CampaignMember] = []
    added = 0
    for c in customers:
        if c.pk not in have_customers:
            have_customers.add(c.pk)
            new.append(
                CampaignMember(
                    campaign=campaign,
                    customer=c,
                    name=c.name[:200],
                    email=_member_email(None, c),
                )
            )
        if len(new) >= 5000:  # a big segment: write in batches, memory stays flat
            audited_bulk_create(CampaignMember, new)
            added += len(new)
            new = []
    for p in contacts:
        if p.pk not in have_contacts:
            have_contacts.add(p.pk)
            new.append(
                CampaignMember(
                    campaign=campaign,
                    contact=p,
                    customer_id=p.customer_id,
                    name=p.name[:200],
                    email=_member_email(p, None),
                )
            )
    for lead in leads:
        if lead.pk not in have_leads:
            have_leads.add(lead.pk)
            new.append(
                CampaignMember(
                    campaign=campaign,
                    lead_id=lead.pk,
                    customer_id=getattr(lead, "converted_customer_id", None),
                    name=(getattr(lead, "company", "") or lead.name)[:200],
                    email=getattr(lead, "email", "") or "",
                )
            )
    if new:
        audited_bulk_create(CampaignMember, new)
    return added + len(new)


@transaction.atomic
def record_response(
    *,
    member: CampaignMember,
    user,
    status: str,
    response: str = "",
    when: datetime.datetime | None = None,
) -> CampaignMember:
    """Set how a member responded (responded, converted, unsubscribed …)."""
    check_campaign_editable(campaign=member.campaign, user=user)
    if status not in CampaignMember.Status.values:
        raise _error("status", _("Choose one of the member statuses."), CampaignError.NO_PERSON)
    member = CampaignMember.objects.select_for_update().get(pk=member.pk)
    member.status = status
    member.response = (response or "").strip()[:300]
    if status in RESPONSES:
        member.responded_at = member.responded_at or when or timezone.now()
    member.save()
    return member


@transaction.atomic
def remove_member(*, member: CampaignMember, user) -> None:
    campaign = check_campaign_editable(campaign=member.campaign, user=user)
    audited_bulk_delete(CampaignMember.objects.filter(pk=member.pk, campaign=campaign))


# --- Costs ---------------------------------------------------------------------------------------


def _sync_cost(campaign: Campaign) -> Campaign:
    total = campaign.costs.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    if campaign.actual_cost != total:
        campaign.actual_cost = total
        campaign.save()
    return campaign


@transaction.atomic
def add_cost(
    *,
    campaign: Campaign,
    user,
    amount: Any,
    date: datetime.date | None = None,
    category: str = CampaignCost.Category.OTHER,
    note: str = "",
) -> CampaignCost:
    """Record an actual cost; the campaign's actual cost becomes the sum of its lines."""
    campaign = check_campaign_editable(campaign=campaign, user=user)
    try:
        value = Decimal(str(amount).strip().replace(",", ""))
    except Exception:  # InvalidOperation, TypeError: whatever was posted
        value = None
    if value is None or not value.is_finite() or value < 0:
        raise _error(
            "amount", _("The amount must be a number of zero or more."), CampaignError.BAD_AMOUNT
        )
    if category not in CampaignCost.Category.values:
        category = CampaignCost.Category.OTHER
    cost = CampaignCost(
        campaign=campaign,
        date=date or timezone.localdate(),
        category=category,
        amount=quantize(value, 2),
        note=(note or "").strip()[:300],
    )
    cost.full_clean()
    audited_bulk_create(CampaignCost, [cost])
    _sync_cost(campaign)
    return cost


@transaction.atomic
def remove_cost(*, cost: CampaignCost, user) -> Campaign:
    campaign = check_campaign_editable(campaign=cost.campaign, user=user)
    audited_bulk_delete(CampaignCost.objects.filter(pk=cost.pk, campaign=campaign))
    return _sync_cost(campaign)


@transaction.atomic
def delete_campaign(*, user, obj: Campaign) -> None:
    """A campaign goes with its members and costs (each deletion audited)."""
    audited_bulk_delete(CampaignMember.objects.filter(campaign=obj))
    audited_bulk_delete(CampaignCost.objects.filter(campaign=obj))
    audited_bulk_delete(Campaign.objects.filter(pk=obj.pk))
