"""Alerts when a KPI falls behind (KPI 落后提醒): every day, each target of the running periods
whose actual is under 80% of the pro-rated target sends one inbox notification a week — to the
employee for their own target, to the people who may see a department's target (its managers)
for the department's.

The figures are company-wide here (the task acts for nobody in particular); each person is told
only about targets their own data scope shows them.
"""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.actions import notify
from kehu.core.models import Notification

from .kpi_models import KpiTarget
from .kpi_scorecard import Subject, build, definitions, measure_figures
from .kpis import Period, attainment


def behind_targets(today: datetime.date):
    """``(target, row)`` for every target of the periods running ``today`` that is behind."""
    from kehu.system.models import Department

    defs = definitions()
    out = []
    every = list(Department.objects.filter(is_active=True).only("pk", "path", "name"))
    for kind in ("month", "quarter", "year"):
        period = Period.containing(today, kind)
        targets = list(
            KpiTarget.objects.filter(
                period=kind, year=period.year, number=period.number, definition__is_active=True
            ).select_related("employee", "department", "definition")
        )
        if not targets:
            continue
        used = [d for d in defs if any(t.definition_id == d.pk for t in targets)]
        figures = measure_figures(None, used, period)
        for t in targets:
            if t.employee_id:
                subject = Subject("employee", t.employee_id, str(t.employee))
            else:
                path = t.department.path
                tree = tuple(d.pk for d in every if d.path.startswith(path))
                subject = Subject("department", t.department_id, str(t.department), tree)
            card = build(subject, period, [t.definition], figures, [t], today=today)
            row = card.rows[0]
            if row.behind:
                out.append((t, row, period))
    return out


def recipients(target: KpiTarget) -> list:
    """The employee of an employee's target; for a department's, the active people in it or
    above it whose data scope shows them the target."""
    from kehu.system.models import User

    if target.employee_id:
        return [target.employee] if target.employee.is_active else []
    prefixes = target.department.ancestor_paths()
    people = User.objects.filter(is_active=True, department__path__in=prefixes)
    return [
        u
        for u in people
        if u.has_perm("analytics.view_kpitarget")
        and KpiTarget.objects.visible_to(u).filter(pk=target.pk).exists()
    ]


def notify_behind(*, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    week = today.isocalendar()
    sent = 0
    link = reverse("analytics:kpi_scorecard")
    for target, row, period in behind_targets(today):
        people = recipients(target)
        who = str(target.employee) if target.employee_id else str(target.department)
        key = f"e{target.employee_id}" if target.employee_id else f"d{target.department_id}"
        reached = attainment(row.actual or 0, row.due, row.direction) or 0
        sent += notify(
            recipients=people,
            title=_("KPI behind target: %(kpi)s, %(who)s, %(period)s")
            % {"kpi": target.definition, "who": who, "period": period.label},
            body=_("%(reached)s%% of the target due by now.") % {"reached": reached},
            link=f"{link}?subject={key}&period={period.key}",
            level=Notification.Level.WARNING,
            kind="kpi_behind",
            dedupe_key=f"kpi-behind:{target.pk}:{week[0]}-{week[1]}",
        )
    return sent
