"""Pipelines (销售流程), their stages and the opportunities (商机) that move through them."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import MoneyField
from kehu.core.models import BaseModel, OwnedModel

__all__ = ["Opportunity", "Pipeline", "Stage"]


class Pipeline(BaseModel):
    """A sales process with its own stages (e.g. project sales, distribution, renewals)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_default = models.BooleanField(_("default pipeline"), default=False)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")

    def __str__(self) -> str:
        return self.name


class Stage(BaseModel):
    """One step of a pipeline with its default win probability; won and lost stages close a deal."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OPEN)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    stalled_after_days = models.PositiveSmallIntegerField(
        _("stalled after (days)"),
        default=30,
        help_text=_("A deal that stays longer in this stage is flagged as stalled."),
    )

    class Meta:
        ordering = ["pipeline", "position", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.UniqueConstraint(
                fields=["pipeline", "name"], name="stage_name_once_per_pipeline"
            ),
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="stage_probability_max_100"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Opportunity(OwnedModel):
    """A deal (商机) with a customer: amount, expected close date and the stage it has reached."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    number = models.CharField(_("number"), max_length=30, blank=True)
    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, editable=False
    )
    amount = MoneyField(_("amount"), default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("Leave empty to use the stage's probability."),
    )
    expected_close = models.DateField(_("expected close date"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=50, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    competitors = models.CharField(_("competitors"), max_length=300, blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    stage_changed_at = models.DateTimeField(
        _("in stage since"), default=timezone.now, editable=False
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            models.Index(fields=["expected_close", "id"]),
            models.Index(fields=["amount", "id"]),
            models.Index(fields=["name", "id"]),
            models.Index(fields=["status", "stage"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["department", "status"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def weighted_probability(self) -> int:
        """The deal's own probability, or its stage's when none was given."""
        return self.stage.probability if self.probability is None else self.probability
