"""Sales plans and targets (销售计划): booked and collected amounts to reach per employee or
department and per month, quarter or year."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import MoneyField
from kehu.core.models import BaseModel

__all__ = ["SalesTarget"]


class SalesTarget(BaseModel):
    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")
        YEAR = "year", _("Year")

    employee = models.ForeignKey(
        "system.User",
        verbose_name=_("employee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    department = models.ForeignKey(
        "system.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    period = models.CharField(
        _("period"), max_length=8, choices=Period.choices, default=Period.MONTH
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    number = models.PositiveSmallIntegerField(
        _("month or quarter"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("1-12 for a month, 1-4 for a quarter, 1 for a year."),
    )
    booked_target = MoneyField(_("booked target"), default=Decimal("0"))
    collected_target = MoneyField(_("collected target"), default=Decimal("0"))

    class Meta:
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        constraints = [
            models.CheckConstraint(
                condition=Q(employee__isnull=False, department__isnull=True)
                | Q(employee__isnull=True, department__isnull=False),
                name="salestarget_employee_or_department",
                violation_error_message=_("A target is for one employee or one department."),
            ),
        ]
        indexes = [models.Index(fields=["year", "period", "number"])]

    def __str__(self) -> str:
        who = self.employee or self.department
        return f"{who} {self.period_label}"

    @property
    def period_label(self) -> str:
        if self.period == self.Period.YEAR:
            return f"{self.year}"
        if self.period == self.Period.QUARTER:
            return f"{self.year} Q{self.number}"
        return f"{self.year}-{self.number:02d}"

    def get_absolute_url(self) -> str:
        return reverse("sales:salestarget_detail", args=[self.pk])
