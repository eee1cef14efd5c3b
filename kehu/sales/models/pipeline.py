"""Pipelines (销售流程), their stages and the opportunities (商机) that move through them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import MoneyField
from kehu.core.models import BaseModel, OwnedModel
from kehu.core.search import Searchable, build_document

__all__ = ["Opportunity", "Pipeline", "Stage", "StageHistory"]


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
        permissions = [("manage_pipelines", _("Manage pipelines and stages"))]

    def __str__(self) -> str:
        # Default names are stored as English message ids and shown in the reader's language.
        return gettext(self.name) if self.name else ""

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:pipeline_detail", args=[self.pk])


class Stage(BaseModel):
    """One step of a pipeline with its default win probability; won and lost stages close a deal."""

    class Kind(models.TextChoices):
        OPEN = "open", pgettext_lazy("deal", "Open")
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
        return gettext(self.name) if self.name else ""

    @property
    def is_closed(self) -> bool:
        return self.kind != self.Kind.OPEN


class Opportunity(Searchable, OwnedModel):
    """A deal (商机) with a customer: amount, expected close date and the stage it has reached.
    Found by the global search by name (Chinese, pinyin, initials) and number."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("deal", "Open")
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
            models.Index(fields=["number", "id"]),
            models.Index(fields=["stage", "stage_changed_at"]),
            models.Index(fields=["stage", "expected_close", "id"]),
            models.Index(fields=["stage", "closed_at", "id"]),
            models.Index(fields=["pipeline", "created_at"]),
            models.Index(fields=["status", "closed_at"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:opportunity_detail", args=[self.pk])

    search_sources = ("name", "number")

    def search_document(self) -> tuple[str, str]:
        return build_document(name=self.name, codes=[self.number] if self.number else [])

    def search_summary(self) -> str:
        return self.number

    @property
    def is_stalled(self) -> bool:
        """Open and in its stage longer than the stage allows."""
        if self.status != self.Status.OPEN or not self.stage_changed_at:
            return False
        limit = self.stage.stalled_after_days
        return bool(limit) and (timezone.now() - self.stage_changed_at).days >= limit

    @property
    def days_in_stage(self) -> int:
        return max((timezone.now() - self.stage_changed_at).days, 0) if self.stage_changed_at else 0

    @property
    def weighted_probability(self) -> int:
        """The deal's own probability, or its stage's when none was given."""
        return self.stage.probability if self.probability is None else self.probability


class StageHistory(BaseModel):
    """One stage change of a deal (its first stage included, with no ``from_stage``): the source of
    the funnel's conversions and of the average days spent in each stage.

    Written only by the deal's actions (``kehu.sales.actions.pipeline``), never edited; it follows
    its deal's owner and department for data permissions."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="stage_history",
    )
    from_stage = models.ForeignKey(
        Stage,
        verbose_name=_("from stage"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_stage = models.ForeignKey(
        Stage, verbose_name=_("to stage"), on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    days_in_previous = models.PositiveIntegerField(
        _("days in previous stage"), null=True, blank=True
    )
    amount = MoneyField(_("amount"), default=Decimal("0"))

    owner_path = "opportunity__owner"
    department_path = "opportunity__department"

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        indexes = [
            models.Index(fields=["opportunity", "changed_at"]),
            models.Index(fields=["from_stage", "changed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.from_stage or '—'} → {self.to_stage}"
