"""Quotes (报价): product lines priced for one customer, in versions."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import MoneyField
from kehu.core.models import BaseModel, OwnedModel

__all__ = ["PriceAgreement", "Quote", "QuoteLine"]

QUANTITY = {"max_digits": 20, "decimal_places": 6}


#: Where a record's own approval stands (a quote below the floor, an order over the credit limit).
APPROVAL_STATES = [
    ("", _("Not needed")),
    ("pending", _("Pending")),
    ("approved", _("Approved")),
    ("rejected", _("Rejected")),
]


class Quote(OwnedModel):
    """An offer to a customer. Totals are computed on the server from the lines, never taken
    from the client; a new version copies the quote and points back to the one it replaces."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        SUPERSEDED = "superseded", _("Superseded")

    number = models.CharField(_("number"), max_length=30, blank=True)
    title = models.CharField(_("title"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="quotes",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quotes",
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quotes",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    version_no = models.PositiveSmallIntegerField(_("version"), default=1, editable=False)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    subtotal = MoneyField(_("subtotal"), default=Decimal("0"), editable=False)
    discount_total = MoneyField(_("discount"), default=Decimal("0"), editable=False)
    tax_total = MoneyField(_("tax"), default=Decimal("0"), editable=False)
    total = MoneyField(_("total"), default=Decimal("0"), editable=False)
    terms = models.TextField(_("terms"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    reject_reason = models.CharField(
        _("reason for rejection"), max_length=500, blank=True, editable=False
    )
    floor_approval = models.CharField(
        _("approval below the floor price"),
        max_length=10,
        choices=APPROVAL_STATES,
        blank=True,
        default="",
        editable=False,
    )

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        indexes = [
            models.Index(fields=["total", "id"]),
            models.Index(fields=["valid_until", "id"]),
            models.Index(fields=["title", "id"]),
            models.Index(fields=["number", "id"]),
            models.Index(fields=["status", "id"]),
        ]

    def __str__(self) -> str:
        name = self.number or self.title
        return name if self.version_no == 1 else f"{name} v{self.version_no}"


class QuoteLine(BaseModel):
    """One product on a quote: quantity × unit price, less a discount, plus tax."""

    class PriceSource(models.TextChoices):
        AGREEMENT = "agreement", _("Price agreement")
        LEVEL = "level", _("Customer level price")
        LIST = "list", _("List price")
        MANUAL = "manual", _("Entered by hand")

    owner_path = "quote__owner"
    department_path = "quote__department"
    data_scope_label = "sales.quote"

    quote = models.ForeignKey(
        Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines"
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
    tax_rate = models.DecimalField(
        _("tax rate (%)"), max_digits=7, decimal_places=4, default=Decimal("0")
    )
    line_total = MoneyField(_("line total"), default=Decimal("0"), editable=False)
    price_source = models.CharField(
        _("price source"),
        max_length=10,
        choices=PriceSource.choices,
        default=PriceSource.MANUAL,
        editable=False,
    )

    class Meta:
        ordering = ["quote", "position", "id"]
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"


class PriceAgreement(BaseModel):
    """A one-to-one price (一客一价): this customer pays this price for this product between two
    dates. It comes first when a quote line is priced; it belongs to whoever owns the customer."""

    owner_path = "customer__owner"
    department_path = "customer__department"
    data_scope_label = "customers.customer"

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="price_agreements",
    )
    product = models.ForeignKey(
        "system.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    price = MoneyField(_("agreed price"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("price agreement")
        verbose_name_plural = _("price agreements")
        indexes = [
            models.Index(fields=["customer", "product", "valid_from"]),
            models.Index(fields=["price", "id"]),
            models.Index(fields=["valid_from", "id"]),
            models.Index(fields=["valid_to", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.product}: {self.price}"

    @property
    def owner(self):
        """The customer's owner: an agreement has no owner of its own."""
        return self.customer.owner if self.customer_id else None

    @property
    def department(self):
        return self.customer.department if self.customer_id else None
