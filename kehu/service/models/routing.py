"""Agent profiles for routing requests to the most qualified free agent: skills (categories,
products, languages, level), availability and the most open requests they take."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kehu.core.models import BaseModel

__all__ = ["AgentProfile"]


class AgentProfile(BaseModel):
    """A service agent's routing profile."""

    class Availability(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFF = "off", _("Off duty")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.CASCADE,
        related_name="agent_profile",
    )
    categories = models.CharField(
        _("categories"),
        max_length=300,
        blank=True,
        help_text=_("Codes of the service categories handled, separated by commas."),
    )
    products = models.ManyToManyField(
        "system.Product", verbose_name=_("products"), blank=True, related_name="+"
    )
    languages = models.CharField(
        _("languages"),
        max_length=100,
        blank=True,
        default="zh",
        help_text=_("Language codes separated by commas, e.g. zh, en."),
    )
    level = models.PositiveSmallIntegerField(
        _("skill level"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    availability = models.CharField(
        _("availability"), max_length=8, choices=Availability.choices, default=Availability.ONLINE
    )
    max_load = models.PositiveSmallIntegerField(
        _("most open requests"), default=10, validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")
        indexes = [models.Index(fields=["availability", "id"])]

    def __str__(self) -> str:
        return str(self.user)

    def get_absolute_url(self) -> str:
        return reverse("service:agentprofile_detail", args=[self.pk])

    @property
    def category_set(self) -> set[str]:
        return {c.strip() for c in self.categories.split(",") if c.strip()}

    @property
    def language_set(self) -> set[str]:
        return {c.strip().lower() for c in self.languages.split(",") if c.strip()}
