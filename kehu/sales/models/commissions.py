"""Commissions (佣金): rules that turn collected money into each salesperson's commission."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kehu.core.models import BaseModel

__all__ = ["CommissionRule"]


class CommissionRule(BaseModel):
    """Who (an employee, a role or everyone) earns what rate on which products (one product, a
    category with its sub-categories, or all). The most specific rule wins (see
    ``kehu.sales.actions.commissions.rule_for``). A rule has a flat ``rate`` or ``tiers``: rates
    by the employee's total collected in the period, e.g. ``0=2; 100000=3; 500000=4``."""

    name = models.CharField(_("name"), max_length=100)
    employee = models.ForeignKey(
        "system.User",
        verbose_name=_("employee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    role = models.ForeignKey(
        "system.Role",
        verbose_name=_("role"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    product = models.ForeignKey(
        "system.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    category = models.ForeignKey(
        "system.ProductCategory",
        verbose_name=_("product category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rate = models.DecimalField(
        _("rate (%)"), max_digits=7, decimal_places=4, default=Decimal("0"), blank=True
    )
    tiers = models.CharField(
        _("tiers"),
        max_length=300,
        blank=True,
        help_text=_(
            "Rates by the amount the employee collected in the period, e.g. "
            "“0=2; 100000=3; 500000=4” (from 100,000: 3 %). Empty: the flat rate."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("commission rule")
        verbose_name_plural = _("commission rules")
        indexes = [models.Index(fields=["name", "id"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sales:commissionrule_detail", args=[self.pk])
