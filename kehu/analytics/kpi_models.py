"""KPI definitions and their targets per period, for an employee or a department (平衡计分卡).

A target belongs to its employee (``owner_path``) and to a department (``department_path``: the
department of a department target, the employee's department for an employee's target), so the
restricted queryset gives a salesperson their own targets and a manager the ones of their
department or tree, like any owned record.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kehu.core.models import BaseModel

from .kpis import DIRECTIONS, MEASURE_CHOICES, PERIODS, PERSPECTIVES, UNITS

__all__ = ["KpiDefinition", "KpiTarget"]


class KpiDefinition(BaseModel):
    """What is measured: a built-in measure in one of the four perspectives, with its weight in
    the scorecard."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(
        _("name"),
        max_length=100,
        blank=True,
        help_text=_("Empty: the measure's name, in the reader's language."),
    )
    perspective = models.CharField(_("perspective"), max_length=10, choices=PERSPECTIVES)
    measure = models.CharField(_("measure"), max_length=30, choices=MEASURE_CHOICES)
    unit = models.CharField(_("unit"), max_length=10, choices=UNITS, blank=True)
    direction = models.CharField(
        _("direction"), max_length=6, choices=DIRECTIONS, blank=True, default=""
    )
    weight = models.DecimalField(
        _("weight"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Its share in the scorecard score, relative to the other KPIs."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("KPI definition")
        verbose_name_plural = _("KPI definitions")
        ordering = ["perspective", "position", "code"]
        indexes = [
            models.Index(fields=["code", "id"]),
            models.Index(fields=["name", "id"]),
            models.Index(fields=["perspective", "id"]),
            models.Index(fields=["position", "id"]),
        ]

    def __str__(self) -> str:
        if self.name:
            return self.name
        from .kpis import MEASURES

        info = MEASURES.get(self.measure)
        return str(info.label) if info else self.code

    def get_absolute_url(self) -> str:
        return reverse("analytics:kpidefinition_detail", args=[self.pk])


class KpiTarget(BaseModel):
    """The value a KPI should reach in one month, quarter or year, for one employee or one
    department (its actual aggregates its sub-departments)."""

    owner_path = "employee"
    department_path = "department"

    definition = models.ForeignKey(
        KpiDefinition, verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="targets"
    )
    employee = models.ForeignKey(
        "system.User",
        verbose_name=_("employee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for a department's target."),
    )
    department = models.ForeignKey(
        "system.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For an employee's target, the employee's department is filled in."),
    )
    period = models.CharField(_("period"), max_length=8, choices=PERIODS, default="month")
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    number = models.PositiveSmallIntegerField(
        _("month or quarter"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("1-12 for a month, 1-4 for a quarter, 1 for a year."),
    )
    target = models.DecimalField(_("target"), max_digits=20, decimal_places=4)
    actual = models.DecimalField(
        _("actual entered by hand"),
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Only for KPIs measured by hand (training hours, a survey score …)."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        indexes = [
            models.Index(fields=["year", "id"]),
            models.Index(fields=["year", "period", "number"]),
        ]

    def __str__(self) -> str:
        who = self.employee if self.employee_id else self.department
        return f"{self.definition} · {who} · {self.period_label}"

    @property
    def owner(self):
        """Whose target it is (the owner of data permissions): the employee, if any."""
        return self.employee

    @property
    def period_label(self) -> str:
        if self.period == "year":
            return f"{self.year}"
        if self.period == "quarter":
            return f"{self.year} Q{self.number}"
        return f"{self.year}-{self.number:02d}"

    def get_absolute_url(self) -> str:
        return reverse("analytics:kpitarget_detail", args=[self.pk])
