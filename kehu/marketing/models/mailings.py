"""E-mail campaigns: each send of a campaign is one message of the shared messaging layer
(kehu/system/messaging), which keeps one-click unsubscribe, suppression, "the same material
never twice", retries and tracking."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import BaseModel

from .campaigns import Campaign

__all__ = ["CampaignMailing"]


class CampaignMailing(BaseModel):
    owner_path = "campaign__owner"
    department_path = "campaign__department"
    data_scope_label = "marketing.campaign"

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="mailings"
    )
    message = models.ForeignKey(
        "system.Message", verbose_name=_("message"), on_delete=models.PROTECT, related_name="+"
    )
    queued = models.PositiveIntegerField(_("queued"), default=0)
    duplicates = models.PositiveIntegerField(_("already received"), default=0)
    invalid = models.PositiveIntegerField(_("invalid addresses"), default=0)

    class Meta:
        ordering = ["campaign", "-id"]
        verbose_name = _("campaign e-mail")
        verbose_name_plural = _("campaign e-mails")

    def __str__(self) -> str:
        return self.message.subject
