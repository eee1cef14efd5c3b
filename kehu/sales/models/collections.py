"""Collections (收款): payments received against an order, a contract or one of its instalments."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import MoneyField
from kehu.core.models import OwnedModel

__all__ = ["Payment"]


class Payment(OwnedModel):
    """Money received. Owned by the order's or contract's owner at the time it is recorded
    (commissions go to that person). A mistaken payment is never deleted: a reversal records a
    second entry with the opposite amount (``reverses``), so every sum stays traceable."""

    class Method(models.TextChoices):
        TRANSFER = "transfer", _("Bank transfer")
        CASH = "cash", _("Cash")
        CHEQUE = "cheque", _("Cheque")
        CARD = "card", _("Card")
        OTHER = "other", _("Other")

    number = models.CharField(_("payment number"), max_length=30, blank=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="payments",
        editable=False,
    )
    order = models.ForeignKey(
        "sales.SalesOrder",
        verbose_name=_("sales order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    contract = models.ForeignKey(
        "sales.Contract",
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    instalment = models.ForeignKey(
        "sales.Instalment",
        verbose_name=_("instalment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    paid_on = models.DateField(_("paid on"))
    method = models.CharField(
        _("method"), max_length=12, choices=Method.choices, default=Method.TRANSFER
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="reversed_by",
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        # never deleted (a reversal undoes a payment): no delete permission to grant
        default_permissions = ("add", "change", "view")
        constraints = [
            models.CheckConstraint(
                condition=Q(order__isnull=False) | Q(contract__isnull=False),
                name="payment_has_target",
            )
        ]
        indexes = [
            models.Index(fields=["number", "id"]),
            models.Index(fields=["paid_on", "id"]),
            models.Index(fields=["amount", "id"]),
            models.Index(fields=["owner", "paid_on"]),
        ]

    def __str__(self) -> str:
        return self.number or str(_("New payment"))

    def get_absolute_url(self) -> str:
        return reverse("sales:payment_detail", args=[self.pk])

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None
