"""The save path of KPI definitions and targets (the pages, the API and imports call these)."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .kpi_models import KpiDefinition, KpiTarget
from .kpis import MEASURES

CODE = re.compile(r"^[A-Za-z0-9_.-]+$")
PERIOD_LIMITS = {"month": 12, "quarter": 4, "year": 1}


@transaction.atomic
def save_kpi_definition(obj: KpiDefinition, *, user) -> KpiDefinition:
    """Check and save a definition; an empty unit or direction takes the measure's."""
    info = MEASURES.get(obj.measure)
    if info is None:
        raise ValidationError({"measure": _("Unknown measure.")}, code="measure")
    if obj.code and not CODE.match(obj.code):
        raise ValidationError(
            {"code": _("Use letters, digits, dots, dashes and underscores only.")}, code="code"
        )
    if (obj.weight or Decimal(0)) < 0:
        raise ValidationError({"weight": _("A weight cannot be negative.")}, code="negative")
    obj.unit = obj.unit or info.unit
    obj.direction = obj.direction or info.direction
    obj.full_clean()
    obj.save()
    return obj


@transaction.atomic
def save_kpi_target(obj: KpiTarget, *, user) -> KpiTarget:
    """Check and save a target: one employee or one department (an employee's target takes the
    employee's department), a period that exists, one target per KPI, subject and period, a
    manual actual only for a KPI measured by hand, and a subject inside the user's edit scope."""
    errors: dict[str, str] = {}
    if obj.employee_id:
        obj.department_id = obj.employee.department_id
    elif not obj.department_id:
        errors["employee"] = _("Choose an employee or a department.")
    limit = PERIOD_LIMITS.get(obj.period)
    if limit is None or obj.number is None or not 1 <= obj.number <= limit:
        errors["number"] = _("Use 1-12 for a month, 1-4 for a quarter and 1 for a year.")
    if obj.target is not None and obj.target < 0:
        errors["target"] = _("A target cannot be negative.")
    if obj.actual is not None and obj.definition_id and obj.definition.measure != "manual":
        errors["actual"] = _("The actual of this KPI is computed; leave it empty.")
    if errors:
        raise ValidationError(errors, code="invalid")
    obj.full_clean()
    same = KpiTarget.objects.filter(
        definition_id=obj.definition_id,
        period=obj.period,
        year=obj.year,
        number=obj.number,
    ).exclude(pk=obj.pk)
    same = (
        same.filter(employee_id=obj.employee_id)
        if obj.employee_id
        else same.filter(employee__isnull=True, department_id=obj.department_id)
    )
    if same.exists():
        raise ValidationError(
            _("This KPI already has a target for this employee or department and period."),
            code="duplicate",
        )
    obj.save()
    if user is not None and not KpiTarget.objects.editable_by(user).filter(pk=obj.pk).exists():
        raise ValidationError(
            {"employee": _("You may set targets only for people and departments in your scope.")},
            code="scope",
        )
    return obj
