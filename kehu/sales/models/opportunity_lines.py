"""The products of a deal (商机产品): what the customer is expected to buy, priced like a quote
line without tax. When a deal has lines, its amount is their sum."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import MoneyField
from kehu.core.models import BaseModel

from .pipeline import Opportunity
from .quotes import QUANTITY

__all__ = ["OpportunityLine"]


class OpportunityLine(BaseModel):
    """One product of a deal: quantity × unit price less a discount. Written only by
    ``kehu.sales.actions.opportunity_lines`` (which keeps the deal's amount equal to the sum);
    it follows its deal's owner and department for data permissions."""

    owner_path = "opportunity__owner"
    department_path = "opportunity__department"
    data_scope_label = "sales.opportunity"

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    product = models.ForeignKey(
        "system.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    quantity = models.DecimalField(_("quantity"), default=Decimal("1"), **QUANTITY)
    unit_price = MoneyField(_("unit price"))
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=7, decimal_places=4, default=Decimal("0")
    )
    line_total = MoneyField(_("line total"), default=Decimal("0"), editable=False)

    class Meta:
        ordering = ["opportunity", "position", "id"]
        verbose_name = _("opportunity product")
        verbose_name_plural = _("opportunity products")

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity.normalize()}"
