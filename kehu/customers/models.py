"""Customers (客户). Minimal for the foundation; the customers issue completes the field list."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import MoneyField
from kehu.core.models import OwnedModel


class Customer(OwnedModel):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        INDIVIDUAL = "individual", _("Individual")

    number = models.CharField(_("customer number"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    mnemonic = models.CharField(_("mnemonic code"), max_length=50, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.COMPANY)
    phone = models.CharField(_("main phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    city = models.CharField(_("city"), max_length=60, blank=True)
    address = models.CharField(_("office address"), max_length=255, blank=True)
    industry = models.CharField(_("industry"), max_length=60, blank=True)
    level = models.CharField(_("level"), max_length=30, blank=True)
    credit_limit = MoneyField(_("credit limit"), default=Decimal("0"))
    registered_on = models.DateField(_("registration date"), default=timezone.localdate)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["name", "id"]),
            models.Index(fields=["owner", "id"]),
            models.Index(fields=["department", "id"]),
            models.Index(fields=["city", "id"]),
            models.Index(fields=["registered_on", "id"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("customers:customer_detail", args=[self.pk])
