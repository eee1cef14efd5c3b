"""Segments (客户细分): saved queries over customers that become campaign target lists."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import OwnedModel

__all__ = ["Segment"]


class Segment(OwnedModel):
    """A saved customer query: the customer list's filters (any field, custom fields, lifecycle,
    the analytics attributes the analytics module contributes to that FilterSet), kept as the
    list's query string. It is evaluated when used, as whoever uses it, inside their scope."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    query = models.TextField(_("filters"), blank=True, max_length=4000)
    exclude_unsubscribed = models.BooleanField(
        _("leave out unsubscribed people"),
        default=True,
        help_text=_("Customers who unsubscribed from any campaign are never targeted again."),
    )
    exclude = models.ForeignKey(
        "self",
        verbose_name=_("exclude the customers of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Another segment whose customers are left out (an exclusion list)."),
    )

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        indexes = [models.Index(fields=["name", "id"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("marketing:segment_detail", args=[self.pk])
