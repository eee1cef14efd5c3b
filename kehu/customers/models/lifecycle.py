"""Customer lifecycle (客户生命周期): the stage history and the configurable rule thresholds.

The stage itself lives on ``Customer.lifecycle_stage``; the rules are in
``kehu.customers.actions.lifecycle``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.models import BaseModel

from .customer import Customer, LifecycleStage


class LifecycleChange(models.Model):
    """One stage change of a customer: the stage history (append-only, never edited).

    Data permissions follow the customer (the history is shown only on a visible customer).
    """

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="lifecycle_changes",
    )
    from_stage = models.CharField(
        _("from stage"), max_length=12, choices=LifecycleStage.choices, blank=True
    )
    to_stage = models.CharField(_("to stage"), max_length=12, choices=LifecycleStage.choices)
    reason = models.CharField(_("reason"), max_length=40)
    detail = models.JSONField(_("detail"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    automatic = models.BooleanField(_("automatic"), default=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("lifecycle change")
        verbose_name_plural = _("lifecycle changes")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["customer", "-changed_at"])]
        permissions = [
            ("override_lifecycle", _("Set a customer's lifecycle stage by hand")),
            ("configure_lifecycle", _("Configure the lifecycle rules")),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_stage or '—'} → {self.to_stage}"


class LifecycleSettings(BaseModel):
    """The rule thresholds (one row); keys missing here take the documented defaults."""

    thresholds = models.JSONField(_("thresholds"), default=dict, blank=True)

    class Meta:
        verbose_name = _("lifecycle rules")
        verbose_name_plural = _("lifecycle rules")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="lifecycle_settings_singleton")
        ]

    def __str__(self) -> str:
        return str(_("Lifecycle rules"))
