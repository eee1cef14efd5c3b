"""Service contracts (服务合同) and installed goods (商品, a customer's products by serial
number): what entitles a customer to service, checked when a request is created."""

from __future__ import annotations

import datetime

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kehu.core.models import OwnedModel

from ._choices import level_choices

__all__ = ["InstalledProduct", "ServiceContract"]


class ServiceContract(OwnedModel):
    """A customer's service contract at a level (gold, silver …) for a period; it covers the
    listed products, or every product when none is listed."""

    number = models.CharField(_("contract number"), max_length=30, blank=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="service_contracts",
    )
    level = models.CharField(_("service level"), max_length=30, choices=level_choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    products = models.ManyToManyField(
        "system.Product",
        verbose_name=_("covered products"),
        blank=True,
        related_name="+",
        help_text=_("Empty: every product of the customer is covered."),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        indexes = [
            models.Index(fields=["number", "id"]),
            models.Index(fields=["end_date", "id"]),
            models.Index(fields=["customer", "end_date"]),
        ]

    def __str__(self) -> str:
        return self.number or str(_("New service contract"))

    def get_absolute_url(self) -> str:
        return reverse("service:servicecontract_detail", args=[self.pk])

    def is_active_on(self, day: datetime.date) -> bool:
        return self.start_date <= day <= self.end_date


class InstalledProduct(OwnedModel):
    """A product a customer has, by serial number, with its install date and warranty."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="installed_products",
    )
    product = models.ForeignKey(
        "system.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    serial_number = models.CharField(_("serial number"), max_length=60)
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    warranty_end = models.DateField(_("warranty ends"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("installed product")
        verbose_name_plural = _("installed products")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "serial_number"],
                name="installedproduct_serial_once",
                violation_error_message=_("This product already has this serial number."),
            )
        ]
        indexes = [
            models.Index(fields=["serial_number", "id"]),
            models.Index(fields=["warranty_end", "id"]),
        ]

    def __str__(self) -> str:
        return self.serial_number

    def get_absolute_url(self) -> str:
        return reverse("service:installedproduct_detail", args=[self.pk])

    def under_warranty(self, day: datetime.date) -> bool:
        return self.warranty_end is not None and day <= self.warranty_end
