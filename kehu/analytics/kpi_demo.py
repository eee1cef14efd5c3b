"""Demo KPI targets: for the people who sell, the last six months and this one, set around what
each actually did (a stretch of 90–130 % of their monthly average), so the scorecard shows a
spread of attainment, some KPIs behind and a trend."""

from __future__ import annotations

import random
from decimal import Decimal

from django.utils import timezone

from kehu.core.demo import DemoContext, generator

DEMO_KPIS = (
    "REVENUE",
    "COLLECTIONS",
    "NEW_CUSTOMERS",
    "RETENTION",
    "WIN_RATE",
    "CONTACTS",
    "VISITS",
)


@generator(910, "KPI targets (balanced scorecard)")
def kpi_targets(ctx: DemoContext) -> None:
    from kehu.core.actions import bulk_create_audited
    from kehu.system.models import User

    from .kpi_models import KpiDefinition, KpiTarget
    from .kpi_scorecard import measure_figures
    from .kpis import MEASURES, Period

    if KpiTarget.objects.exists():
        return
    defs = list(KpiDefinition.objects.filter(code__in=DEMO_KPIS, is_active=True))
    if not defs:
        return
    rng = random.Random(ctx.seed * 31 + 7)
    months = Period.containing(timezone.localdate()).last(7)
    figures = [measure_figures(None, defs, p) for p in months]
    sellers = (
        [pk for pk in figures[-2]["revenue"].by_employee if figures[-2]["revenue"].employee(pk)]
        if any(d.measure == "revenue" for d in defs)
        else []
    )
    people = {u.pk: u for u in User.objects.filter(pk__in=sellers, is_active=True)}
    targets = []
    for pk, person in sorted(people.items())[:40]:
        for d in defs:
            values = [f[d.measure].employee(pk) for f in figures[:-1]]
            values = [v for v in values if v]
            if not values:
                continue
            average = sum(values, Decimal(0)) / len(values)
            for period in months:
                stretch = Decimal(rng.randint(90, 130)) / 100
                if MEASURES[d.measure].unit == "percent":
                    target = min(Decimal(100), average * stretch).quantize(Decimal(1))
                elif MEASURES[d.measure].unit == "money":
                    target = (average * stretch / 1000).quantize(Decimal(1)) * 1000
                else:
                    target = max(Decimal(1), (average * stretch).quantize(Decimal(1)))
                targets.append(
                    KpiTarget(
                        definition=d,
                        employee=person,
                        department_id=person.department_id,
                        period="month",
                        year=period.year,
                        number=period.number,
                        target=target,
                    )
                )
    bulk_create_audited(KpiTarget, targets)
    ctx.out(f"  {len(targets):,} KPI targets for {len(people)} people")
