"""Competitors (竞争对手) and market intelligence (市场情报): who else bids for our deals, their
products and prices over time, which deals they appeared in (and who won), and the notes
sales and marketing collect about them, their customers and deals."""

from __future__ import annotations

from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.core.fields import MoneyField
from kehu.core.models import BaseModel, OwnedModel

from .pipeline import Opportunity

__all__ = ["Competitor", "CompetitorProduct", "DealCompetitor", "IntelligenceNote"]


class Competitor(BaseModel):
    """A company we compete with: shared reference data, like the product catalogue (anyone who
    may view competitors sees them all)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    website = models.CharField(
        _("website"),
        max_length=300,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("e.g. https://www.example.com"),
    )
    strengths = models.TextField(_("strengths"), blank=True)
    weaknesses = models.TextField(_("weaknesses"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")
        indexes = [models.Index(fields=["name", "id"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:competitor_detail", args=[self.pk])


class CompetitorProduct(BaseModel):
    """One price of a competitor's product seen on a day: several rows of the same product
    are its price history. ``product`` is the comparable product of our catalogue."""

    competitor = models.ForeignKey(
        Competitor,
        verbose_name=_("competitor"),
        on_delete=models.CASCADE,
        related_name="products",
    )
    name = models.CharField(_("name"), max_length=200)
    product = models.ForeignKey(
        "system.Product",
        verbose_name=_("comparable product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    price = MoneyField(_("price"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    price_date = models.DateField(_("price date"), default=timezone.localdate)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["competitor", "name", "-price_date", "-id"]
        verbose_name = _("competitor product")
        verbose_name_plural = _("competitor products")
        indexes = [
            models.Index(fields=["name", "id"]),
            models.Index(fields=["price_date", "id"]),
            models.Index(fields=["competitor", "name", "price_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.competitor_id and self.competitor} · {self.name}"


class DealCompetitor(BaseModel):
    """A competitor in a deal, with the price they offered and who won. Written only by
    ``kehu.sales.actions.competitors``; it follows its deal's owner and department."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("competitor", "Active")
        WE_WON = "we_won", _("We won")
        THEY_WON = "they_won", _("They won")

    owner_path = "opportunity__owner"
    department_path = "opportunity__department"
    data_scope_label = "sales.opportunity"

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="competitor_links",
    )
    competitor = models.ForeignKey(
        Competitor,
        verbose_name=_("competitor"),
        on_delete=models.PROTECT,
        related_name="deal_links",
    )
    offered_price = MoneyField(_("their offered price"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        ordering = ["opportunity", "id"]
        verbose_name = _("competitor in a deal")
        verbose_name_plural = _("competitors in deals")
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "competitor"], name="deal_competitor_once"
            )
        ]
        indexes = [models.Index(fields=["competitor", "opportunity"])]

    def __str__(self) -> str:
        return f"{self.competitor} @ {self.opportunity}"


class IntelligenceNote(OwnedModel):
    """A piece of market intelligence (情报): what was heard or read, from where, about which
    competitor, customer or deal. Owned by who wrote it down (data permissions apply)."""

    class Source(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        PARTNER = "partner", _("Partner")
        WEB = "web", _("Website")
        PRESS = "press", _("Press and media")
        EVENT = "event", _("Event or trade show")
        TENDER = "tender", _("Tender documents")
        INTERNAL = "internal", _("Colleague")
        OTHER = "other", _("Other")

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    date = models.DateField(_("date"), default=timezone.localdate)
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.OTHER
    )
    competitor = models.ForeignKey(
        Competitor,
        verbose_name=_("competitor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notes_about",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="intelligence_notes",
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="intelligence_notes",
    )

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("intelligence note")
        verbose_name_plural = _("intelligence notes")
        indexes = [
            models.Index(fields=["date", "id"]),
            models.Index(fields=["title", "id"]),
            models.Index(fields=["customer", "date"]),
            models.Index(fields=["opportunity", "date"]),
            models.Index(fields=["competitor", "date"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:intelligencenote_detail", args=[self.pk])
