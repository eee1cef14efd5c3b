"""Sales orders (订单) with their lines and tracking timeline, and contracts (合同) with their
payment plan (instalments)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import MoneyField
from kehu.core.models import BaseModel, OwnedModel

from .quotes import APPROVAL_STATES

__all__ = ["Contract", "Instalment", "OrderEvent", "SalesOrder", "SalesOrderLine"]

QUANTITY = {"max_digits": 20, "decimal_places": 6}
PERCENT = {"max_digits": 7, "decimal_places": 4}


class SalesOrder(OwnedModel):
    """An order a customer placed. Totals are computed by the actions from the lines (never
    taken from a client); once confirmed the order is not edited any more, only moved on."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("Confirmed")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("order number"), max_length=30, blank=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="sales_orders",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sales_orders",
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sales_orders",
    )
    quote = models.ForeignKey(
        "sales.Quote",
        verbose_name=_("quote"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="sales_orders",
    )
    contract = models.ForeignKey(
        "sales.Contract",
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        help_text=_("When set, the contract's payment plan carries what the customer owes."),
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    order_date = models.DateField(_("order date"))
    payment_due = models.DateField(
        _("payment due"),
        null=True,
        blank=True,
        help_text=_("Empty: 30 days after the order date, set when the order is confirmed."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    subtotal = MoneyField(_("subtotal"), default=Decimal("0"), editable=False)
    discount_total = MoneyField(_("discount"), default=Decimal("0"), editable=False)
    tax_total = MoneyField(_("tax"), default=Decimal("0"), editable=False)
    total = MoneyField(_("total"), default=Decimal("0"), editable=False)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True, editable=False)
    credit_approval = models.CharField(
        _("approval over the credit limit"),
        max_length=10,
        choices=APPROVAL_STATES,
        blank=True,
        default="",
        editable=False,
        help_text=_(
            "Confirming an order that takes the customer over the credit limit asks for an "
            "approval; the order stays a draft, locked, until it is decided."
        ),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        permissions = [("exceed_credit_limit", _("Confirm orders over the credit limit"))]
        constraints = [
            models.UniqueConstraint(
                fields=["quote"],
                condition=Q(quote__isnull=False),
                name="salesorder_one_per_quote",
                violation_error_message=_("This quote has already been converted to an order."),
            )
        ]
        indexes = [
            models.Index(fields=["number", "id"]),
            models.Index(fields=["order_date", "id"]),
            models.Index(fields=["total", "id"]),
            models.Index(fields=["status", "id"]),
            models.Index(fields=["payment_due", "id"]),
        ]

    def __str__(self) -> str:
        return self.number or str(_("New order"))

    def get_absolute_url(self) -> str:
        return reverse("sales:salesorder_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def books_receivable(self) -> bool:
        """Confirmed and later (not cancelled): the customer owes the total."""
        return self.status in BOOKED_STATUSES


BOOKED_STATUSES = (
    SalesOrder.Status.CONFIRMED,
    SalesOrder.Status.SHIPPED,
    SalesOrder.Status.DELIVERED,
    SalesOrder.Status.COMPLETED,
)


class SalesOrderLine(BaseModel):
    """One product on an order: quantity × unit price, less a discount, plus tax."""

    owner_path = "order__owner"
    department_path = "order__department"

    order = models.ForeignKey(
        SalesOrder, verbose_name=_("sales order"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    product = models.ForeignKey(
        "system.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    quantity = models.DecimalField(_("quantity"), default=Decimal("1"), **QUANTITY)
    unit_price = MoneyField(_("unit price"))
    discount_percent = models.DecimalField(_("discount (%)"), default=Decimal("0"), **PERCENT)
    tax_rate = models.DecimalField(_("tax rate (%)"), default=Decimal("0"), **PERCENT)
    line_total = MoneyField(_("line total"), default=Decimal("0"), editable=False)

    class Meta:
        ordering = ["order", "position", "id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"


class OrderEvent(BaseModel):
    """One step of an order's tracking timeline (created, confirmed, shipped …)."""

    owner_path = "order__owner"
    department_path = "order__department"

    order = models.ForeignKey(
        SalesOrder, verbose_name=_("sales order"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("time"))
    from_status = models.CharField(
        _("from"), max_length=12, choices=SalesOrder.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=SalesOrder.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["order", "at", "id"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        indexes = [models.Index(fields=["at", "id"])]

    def __str__(self) -> str:
        return f"{self.order} → {self.get_to_status_display()}"


class Contract(OwnedModel):
    """A signed agreement with a customer: amount, period, terms and a payment plan."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")

    number = models.CharField(_("contract number"), max_length=30, blank=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    quote = models.ForeignKey(
        "sales.Quote",
        verbose_name=_("quote"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="contracts",
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contracts",
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    amount = MoneyField(_("amount"), default=Decimal("0"))
    terms = models.TextField(_("terms"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.UniqueConstraint(
                fields=["quote"],
                condition=Q(quote__isnull=False),
                name="contract_one_per_quote",
                violation_error_message=_("This quote has already been converted to a contract."),
            )
        ]
        indexes = [
            models.Index(fields=["number", "id"]),
            models.Index(fields=["title", "id"]),
            models.Index(fields=["end_date", "id"]),
            models.Index(fields=["amount", "id"]),
            models.Index(fields=["status", "id"]),
        ]

    def __str__(self) -> str:
        return self.number or self.title

    def get_absolute_url(self) -> str:
        return reverse("sales:contract_detail", args=[self.pk])


RECEIVABLE_CONTRACT_STATUSES = (Contract.Status.ACTIVE, Contract.Status.EXPIRED)


class Instalment(BaseModel):
    """One due date of a contract's payment plan; the plan adds up to the contract amount."""

    owner_path = "contract__owner"
    department_path = "contract__department"

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="instalments"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    due_date = models.DateField(_("due date"))
    amount = MoneyField(_("amount"))

    class Meta:
        ordering = ["contract", "due_date", "position", "id"]
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        indexes = [models.Index(fields=["due_date", "id"])]

    def __str__(self) -> str:
        return f"{self.contract.number} #{self.position} {self.due_date:%Y-%m-%d}"
