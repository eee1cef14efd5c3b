"""Factories of KPI definitions and targets for the generic test cases and the permission
matrix."""

from __future__ import annotations

from decimal import Decimal

from kehu.core.testing import copy_tweak, factory


@factory("analytics.kpidefinition")
def kpi_definition(owner, n: int = 1, **kw):
    from kehu.analytics.kpi_models import KpiDefinition

    obj = KpiDefinition(
        code=kw.pop("code", f"T{owner.pk}-{n}"),
        name=kw.pop("name", f"指标{owner.pk}-{n}"),
        perspective=kw.pop("perspective", "financial"),
        measure=kw.pop("measure", "revenue"),
        unit=kw.pop("unit", "money"),
        direction=kw.pop("direction", "higher"),
        weight=kw.pop("weight", Decimal("1")),
        **kw,
    )
    obj.save()
    return obj


@factory("analytics.kpitarget")
def kpi_target(owner, n: int = 1, **kw):
    from kehu.analytics.kpi_models import KpiDefinition, KpiTarget

    definition = (
        kw.pop("definition", None)
        or KpiDefinition.objects.filter(code=f"T{owner.pk}-{n}").first()
        or kpi_definition(owner, n)
    )
    employee = kw.pop("employee", owner)
    obj = KpiTarget(
        definition=definition,
        employee=employee,
        department=kw.pop("department", employee.department if employee else None),
        period=kw.pop("period", "month"),
        year=kw.pop("year", 2026),
        number=kw.pop("number", (n - 1) % 12 + 1),
        target=kw.pop("target", Decimal("100000")),
        **kw,
    )
    obj.save()
    return obj


@copy_tweak("analytics.kpitarget")
def _distinct_target(data: dict, owner, n: int) -> dict:
    """Another year: one target per KPI, employee and period."""
    return {**data, "year": 2000 + n % 100}


@copy_tweak("analytics.kpidefinition")
def _distinct_definition(data: dict, owner, n: int) -> dict:
    return {**data, "code": f"C{owner.pk}-{n}-copy"}
