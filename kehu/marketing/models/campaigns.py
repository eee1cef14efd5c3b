"""Campaigns (营销活动) with their members and costs, and marketing plans (市场计划)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import MoneyField
from kehu.core.models import BaseModel, OwnedModel
from kehu.core.search import Searchable, build_document

__all__ = ["Campaign", "CampaignCost", "CampaignMember", "MarketingPlan"]

NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]


class MarketingPlan(OwnedModel):
    """Goals, budget and campaigns of one period; its page compares plan with actual."""

    name = models.CharField(_("name"), max_length=200)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    goal = models.TextField(_("goal"), blank=True)
    budget = MoneyField(_("budget"), default=Decimal("0"), validators=NOT_NEGATIVE)
    revenue_goal = MoneyField(_("revenue goal"), default=Decimal("0"), validators=NOT_NEGATIVE)
    lead_goal = models.PositiveIntegerField(_("lead goal"), default=0)

    class Meta:
        verbose_name = _("marketing plan")
        verbose_name_plural = _("marketing plans")
        indexes = [
            models.Index(fields=["start_date", "id"]),
            models.Index(fields=["name", "id"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("marketing:marketingplan_detail", args=[self.pk])


class Campaign(Searchable, OwnedModel):
    """A marketing campaign: its type and channel, dates, budget; members are the people it
    reached (customers, contacts, leads) and costs are what it actually spent."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("E-mail")
        EVENT = "event", _("Event or seminar")
        TRADE_SHOW = "trade_show", _("Trade show")
        TELEMARKETING = "telemarketing", _("Telemarketing")
        ADVERTISING = "advertising", _("Advertising")
        DIRECT_MAIL = "direct_mail", _("Direct mail")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=30, blank=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.EMAIL)
    channel = models.CharField(
        _("channel"),
        max_length=100,
        blank=True,
        help_text=_("Where it runs: a mailing list, a trade fair, a newspaper, a website…"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    budget = MoneyField(_("budget"), default=Decimal("0"), validators=NOT_NEGATIVE)
    expected_revenue = MoneyField(
        _("expected revenue"), default=Decimal("0"), validators=NOT_NEGATIVE
    )
    plan = models.ForeignKey(
        MarketingPlan,
        verbose_name=_("marketing plan"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
    )
    description = models.TextField(_("description"), blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    #: The secret in the address of an event's public registration page (empty: closed).
    registration_key = models.CharField(
        _("registration key"), max_length=40, blank=True, editable=False, db_index=True
    )
    #: The sum of the cost lines, kept by the cost actions (lists sort and filter on it).
    actual_cost = MoneyField(_("actual cost"), default=Decimal("0"), editable=False)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        indexes = [
            models.Index(fields=["number", "id"]),
            models.Index(fields=["name", "id"]),
            models.Index(fields=["start_date", "id"]),
            models.Index(fields=["budget", "id"]),
            models.Index(fields=["status", "kind"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("marketing:campaign_detail", args=[self.pk])

    search_sources = ("name", "number")

    def search_document(self) -> tuple[str, str]:
        return build_document(name=self.name, codes=[self.number] if self.number else [])

    def search_summary(self) -> str:
        return self.number

    @property
    def over_budget(self) -> bool:
        return bool(self.budget) and self.actual_cost > self.budget


class CampaignMember(BaseModel):
    """Someone a campaign reached: a customer, a contact or a lead (exactly one), with how they
    responded. A lead is kept by its id: marketing does not import the sales module."""

    class Status(models.TextChoices):
        TARGETED = "targeted", _("Targeted")
        SENT = "sent", _("Sent")
        RESPONDED = "responded", _("Responded")
        CONVERTED = "converted", _("Converted")
        REGISTERED = "registered", _("Registered")
        ATTENDED = "attended", _("Attended")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    owner_path = "campaign__owner"
    department_path = "campaign__department"
    data_scope_label = "marketing.campaign"

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="members"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="campaign_memberships",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="campaign_memberships",
    )
    lead_id = models.PositiveIntegerField(_("lead"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.TARGETED
    )
    response = models.CharField(_("response"), max_length=300, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign member")
        verbose_name_plural = _("campaign members")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer"],
                condition=Q(customer__isnull=False, contact__isnull=True),
                name="campaign_member_customer_once",
            ),
            models.UniqueConstraint(
                fields=["campaign", "contact"],
                condition=Q(contact__isnull=False),
                name="campaign_member_contact_once",
            ),
            models.UniqueConstraint(
                fields=["campaign", "lead_id"],
                condition=Q(lead_id__isnull=False),
                name="campaign_member_lead_once",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["customer", "campaign"]),
        ]

    def __str__(self) -> str:
        return self.name or str(self.contact or self.customer or self.lead_id)


class CampaignCost(BaseModel):
    """One actual cost of a campaign (a booth, an advertisement, printing…)."""

    class Category(models.TextChoices):
        MEDIA = "media", _("Media and advertising")
        VENUE = "venue", _("Venue and booth")
        MATERIAL = "material", _("Printed material")
        GIFTS = "gifts", _("Gifts and samples")
        TRAVEL = "travel", _("Travel")
        AGENCY = "agency", _("Agency and services")
        OTHER = "other", _("Other")

    owner_path = "campaign__owner"
    department_path = "campaign__department"
    data_scope_label = "marketing.campaign"

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="costs"
    )
    date = models.DateField(_("date"))
    category = models.CharField(
        _("category"), max_length=12, choices=Category.choices, default=Category.OTHER
    )
    amount = MoneyField(_("amount"), validators=NOT_NEGATIVE)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["campaign", "date", "id"]
        verbose_name = _("campaign cost")
        verbose_name_plural = _("campaign costs")

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.amount}"
