"""The balanced scorecard of an employee or a department: targets, actuals, attainment, score,
trend, and who is behind.

Everything starts from what the reader may see: the subjects are the people and departments
the reader's data scope on KPI targets reaches (``people_in_scope`` / ``departments_in_scope``),
the targets come from ``KpiTarget.objects.visible_to(user)`` and the actuals from the restricted
querysets of orders, payments, customers, opportunities, service requests and activities
(:mod:`.kpi_measures`). The queries do not grow with the number of people: one per measure and
period, grouped by employee and department, plus the definitions and the targets.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from kehu.core.permissions import Access, DataScope

from .kpi_measures import COMPUTE, Figures
from .kpi_models import KpiDefinition, KpiTarget
from .kpis import (
    MEASURES,
    PERSPECTIVES,
    Period,
    attainment,
    is_behind,
    prorated_target,
    weighted_score,
)

ZERO = Decimal(0)


@dataclass(frozen=True)
class Subject:
    kind: str  # "employee" or "department"
    pk: int
    label: str
    #: For a department: its id and those of every department below it.
    tree: tuple[int, ...] = ()
    depth: int = 0

    @property
    def key(self) -> str:
        return f"{self.kind[0]}{self.pk}"

    @property
    def only(self) -> tuple:
        """The measures' narrowing to this subject's records (:func:`.kpi_measures._grouped`)."""
        return ("employee", self.pk) if self.kind == "employee" else ("department", self.tree)


@dataclass
class KpiRow:
    definition: KpiDefinition
    target: Decimal | None
    actual: Decimal | None
    attainment: Decimal | None
    due: Decimal | None  # the pro-rated target
    behind: bool
    target_pk: int | None = None
    #: Attainment against what is due by now (the whole target once the period is over): what
    #: the score and the alerts use, so a month that has just begun is not "2% done".
    pace: Decimal | None = None

    @property
    def unit(self) -> str:
        return self.definition.unit or MEASURES[self.definition.measure].unit

    @property
    def direction(self) -> str:
        return self.definition.direction or MEASURES[self.definition.measure].direction


@dataclass
class Scorecard:
    subject: Subject
    period: Period
    rows: list[KpiRow]
    score: Decimal | None
    elapsed: Decimal
    perspectives: list[tuple[str, str, list[KpiRow], Decimal | None]] = field(default_factory=list)

    @property
    def behind(self) -> list[KpiRow]:
        return [r for r in self.rows if r.behind]


# --- subjects ----------------------------------------------------------------------------------


def subjects_for(user) -> tuple[list[Subject], list[Subject]]:
    """(employees, departments) whose scorecards ``user`` may open: their data scope on KPI
    targets applied to people and departments (a salesperson: themselves; a sales manager:
    their department and its people; a branch manager: the tree). A department's scorecard
    needs a scope wider than one's own records, or its figures would be one person's."""
    from kehu.core.providers import departments_in_scope, get_access, people_in_scope
    from kehu.system.models import Department

    people = people_in_scope(user, KpiTarget, Access.VIEW).filter(is_active=True)
    employees = [
        Subject("employee", u.pk, str(u))
        for u in sorted(people, key=lambda u: (str(u).lower(), u.pk))
    ]
    if not user.is_superuser and get_access(user).scope(KpiTarget, Access.VIEW) in (
        DataScope.NONE,
        DataScope.OWN,
    ):
        return employees, []
    reached = {d.pk for d in departments_in_scope(user, KpiTarget, Access.VIEW)}
    every = list(Department.objects.filter(is_active=True).order_by("path"))
    departments = []
    for d in every:
        if d.pk in reached:
            tree = tuple(o.pk for o in every if o.path.startswith(d.path))
            departments.append(Subject("department", d.pk, str(d), tree, d.depth))
    return employees, departments


def find_subject(user, key: str) -> Subject | None:
    employees, departments = subjects_for(user)
    return next((s for s in [*employees, *departments] if s.key == key), None)


# --- figures -----------------------------------------------------------------------------------


def definitions() -> list[KpiDefinition]:
    return list(KpiDefinition.objects.filter(is_active=True).order_by("position", "code"))


def measure_figures(user, defs, period: Period, *, only=None) -> dict[str, Figures]:
    """One :class:`Figures` per measure used, over the period (one query per measure);
    ``only``: one subject's records (``Subject.only``)."""
    return {
        code: COMPUTE[code](user, period.start, period.end, only=only)
        for code in sorted({d.measure for d in defs})
    }


def targets_for(user, period: Period, *, user_scope: bool = True):
    qs = KpiTarget.objects.visible_to(user) if user_scope else KpiTarget.objects.all()
    return list(
        qs.filter(period=period.kind, year=period.year, number=period.number).select_related(
            "employee"
        )
    )


def _target_for(defn, subject: Subject, targets):
    """(target value, manual actual, target id) of ``subject`` for ``defn``. A department with no
    target of its own takes the sum of its people's targets for a measure that adds up."""
    own = [
        t
        for t in targets
        if t.definition_id == defn.pk
        and (
            (subject.kind == "employee" and t.employee_id == subject.pk)
            or (
                subject.kind == "department" and not t.employee_id and t.department_id == subject.pk
            )
        )
    ]
    if own:
        t = own[0]
        return t.target, t.actual, t.pk
    if subject.kind == "department" and MEASURES[defn.measure].additive:
        below = [
            t
            for t in targets
            if t.definition_id == defn.pk and t.employee_id and t.department_id in subject.tree
        ]
        if below:
            manual = None
            if defn.measure == "manual":
                manual = sum((t.actual or ZERO for t in below), ZERO)
            return sum((t.target for t in below), ZERO), manual, None
    return None, None, None


def build(
    subject: Subject,
    period: Period,
    defs,
    figures: dict[str, Figures],
    targets,
    *,
    today: datetime.date,
) -> Scorecard:
    """The scorecard from figures already computed (so a team table reuses them)."""
    elapsed = period.elapsed(today)
    rows = []
    for d in defs:
        info = MEASURES[d.measure]
        target, manual, target_pk = _target_for(d, subject, targets)
        if d.measure == "manual":
            actual = manual
        elif subject.kind == "employee":
            actual = figures[d.measure].employee(subject.pk)
        else:
            actual = figures[d.measure].departments(subject.tree)
        direction = d.direction or info.direction
        reached = attainment(actual, target, direction)
        due = prorated_target(target, additive=info.additive, elapsed=elapsed)
        behind = target is not None and is_behind(
            actual if actual is not None else (ZERO if info.additive else None),
            target,
            direction=direction,
            additive=info.additive,
            elapsed=elapsed,
        )
        pace = attainment(actual, due, direction) if due else None
        rows.append(KpiRow(d, target, actual, reached, due, behind, target_pk, pace))
    score = weighted_score((r.definition.weight, r.pace) for r in rows)
    card = Scorecard(subject, period, rows, score, elapsed)
    for code, label in PERSPECTIVES:
        mine = [r for r in rows if r.definition.perspective == code]
        card.perspectives.append(
            (code, label, mine, weighted_score((r.definition.weight, r.pace) for r in mine))
        )
    return card


def scorecard(user, subject: Subject, period: Period, *, today: datetime.date) -> Scorecard:
    defs = definitions()
    return build(
        subject,
        period,
        defs,
        measure_figures(user, defs, period),
        targets_for(user, period),
        today=today,
    )


def team(user, subjects, period: Period, *, today: datetime.date, defs=None) -> list[Scorecard]:
    """Scorecards of many subjects at once, from one set of figures."""
    defs = definitions() if defs is None else defs
    figures = measure_figures(user, defs, period)
    targets = targets_for(user, period)
    return [build(s, period, defs, figures, targets, today=today) for s in subjects]


def trend(user, subject: Subject, period: Period, *, today: datetime.date, n: int = 6):
    """The score and each KPI's attainment over the last ``n`` periods, oldest first."""
    defs = definitions()
    return [
        build(
            subject,
            p,
            defs,
            measure_figures(user, defs, p, only=subject.only),
            targets_for(user, p),
            today=today,
        )
        for p in period.last(n)
    ]
