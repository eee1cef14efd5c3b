"""SLA policies: first-response and resolution targets in working hours, per contract level and
priority."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kehu.core.models import BaseModel

from ._choices import level_choices
from .requests import ServiceRequest

__all__ = ["SlaPolicy"]

HOURS = {"max_digits": 6, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0.1"))]}


class SlaPolicy(BaseModel):
    """Targets for requests of one priority under one service level (empty level: customers
    without a contract, warranty included)."""

    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(
        _("service level"),
        max_length=30,
        blank=True,
        choices=level_choices,
        help_text=_("Empty: customers without a service contract."),
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=ServiceRequest.Priority.choices
    )
    response_hours = models.DecimalField(_("first response within (working hours)"), **HOURS)
    resolution_hours = models.DecimalField(_("resolve within (working hours)"), **HOURS)
    warn_percent = models.PositiveSmallIntegerField(
        _("warn at (percent of the time used)"),
        default=80,
        validators=[MinValueValidator(1)],
        help_text=_("The agent is warned when this share of the time has been used."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(fields=["level", "priority"], name="slapolicy_once_per_level")
        ]
        indexes = [models.Index(fields=["name", "id"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("service:slapolicy_detail", args=[self.pk])
