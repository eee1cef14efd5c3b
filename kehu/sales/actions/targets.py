"""Sales plans and targets (销售计划): attainment of booked and collected amounts per employee and
per department (rolled up along the department tree).

Several targets for the same employee (or department) and period add up (a product plan and a
service plan, say). Booked = totals of orders confirmed or later (not cancelled) by order date in the period;
collected = payments that stand (not reversed) by payment date in the period. Both are counted
over the records the viewing user may see.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from ..models import Payment, SalesOrder, SalesTarget
from ..models.orders import BOOKED_STATUSES
from .collections import effective_payments
from .orders import field_error

ZERO = Decimal("0")


@transaction.atomic
def save_target(target: SalesTarget, *, user) -> SalesTarget:
    limits = {"month": 12, "quarter": 4, "year": 1}
    if target.number is None or not 1 <= target.number <= limits.get(target.period, 12):
        raise field_error(
            "number",
            _("Use 1-12 for a month, 1-4 for a quarter and 1 for a year."),
            "period_number",
        )
    for name in ("booked_target", "collected_target"):
        if (getattr(target, name) or ZERO) < 0:
            raise ValidationError({name: _("A target cannot be negative.")}, code="negative")
    target.full_clean()
    target.save()
    return target


def period_range(period: str, year: int, number: int) -> tuple[datetime.date, datetime.date]:
    """[start, end) of a month, quarter or year."""
    if period == "year":
        return datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
    if period == "quarter":
        first = 3 * (number - 1) + 1
        start = datetime.date(year, first, 1)
        end = datetime.date(year + (first + 3 > 12), (first + 2) % 12 + 1, 1)
        return start, end
    return datetime.date(year, number, 1), datetime.date(year + (number == 12), number % 12 + 1, 1)


@dataclass
class Attainment:
    label: str
    kind: str  # "employee" or "department"
    depth: int
    booked_target: Decimal
    collected_target: Decimal
    booked: Decimal
    collected: Decimal
    key: int = 0

    @staticmethod
    def pct(actual: Decimal, target: Decimal) -> Decimal | None:
        return None if not target else (actual * 100 / target).quantize(Decimal("0.1"))

    @property
    def booked_pct(self):
        return self.pct(self.booked, self.booked_target)

    @property
    def collected_pct(self):
        return self.pct(self.collected, self.collected_target)


def actuals(user, start: datetime.date, end: datetime.date):
    """Booked and collected per owner and per department id in [start, end)."""
    orders = (
        SalesOrder.objects.visible_to(user)
        .filter(status__in=BOOKED_STATUSES, order_date__gte=start, order_date__lt=end)
        .order_by()
    )
    pays = effective_payments(Payment.objects.visible_to(user)).filter(
        paid_on__gte=start, paid_on__lt=end
    )
    booked_by_owner = dict(orders.values_list("owner").annotate(s=Sum("total")))
    booked_by_dept = dict(orders.values_list("department").annotate(s=Sum("total")))
    coll_by_owner = dict(pays.order_by().values_list("owner").annotate(s=Sum("amount")))
    coll_by_dept = dict(pays.order_by().values_list("department").annotate(s=Sum("amount")))
    return booked_by_owner, booked_by_dept, coll_by_owner, coll_by_dept


def attainment(user, period: str, year: int, number: int) -> list[Attainment]:
    """Department rows (the tree, actuals of the whole subtree; the target is the department's
    own or, when it has none, the sum of its employees' targets, sub-departments included) followed by their employees
    with a target."""
    from kehu.system.models import Department, User

    start, end = period_range(period, year, number)
    b_owner, b_dept, c_owner, c_dept = actuals(user, start, end)
    targets = list(
        SalesTarget.objects.filter(period=period, year=year, number=number).select_related(
            "employee__department", "department"
        )
    )
    # several targets for the same person (or department) and period add up
    emp_targets: dict[int, SalesTarget] = {}
    dept_targets: dict[int, SalesTarget] = {}
    for t in targets:
        store, key = (
            (emp_targets, t.employee_id) if t.employee_id else (dept_targets, t.department_id)
        )
        if key in store:
            store[key].booked_target += t.booked_target
            store[key].collected_target += t.collected_target
        else:
            store[key] = t
    departments = list(Department.objects.filter(is_active=True).order_by("path"))
    dept_path = {d.pk: d.path for d in departments}
    employees = {
        u.pk: u for u in User.objects.filter(pk__in=set(emp_targets) | set(b_owner) | set(c_owner))
    }
    rows: list[Attainment] = []
    for dept in departments:
        in_tree = [pk for pk, path in dept_path.items() if path.startswith(dept.path)]
        booked = sum((b_dept.get(pk) or ZERO for pk in in_tree), ZERO)
        collected = sum((c_dept.get(pk) or ZERO for pk in in_tree), ZERO)
        own = dept_targets.get(dept.pk)
        if own is not None:
            bt, ct = own.booked_target, own.collected_target
        else:
            below = [t for t in emp_targets.values() if t.employee.department_id in in_tree]
            bt = sum((t.booked_target for t in below), ZERO)
            ct = sum((t.collected_target for t in below), ZERO)
        if not (booked or collected or bt or ct):
            continue
        rows.append(
            Attainment(str(dept), "department", dept.depth, bt, ct, booked, collected, dept.pk)
        )
        for emp_id, target in sorted(emp_targets.items(), key=lambda i: str(i[1].employee)):
            if target.employee.department_id != dept.pk:
                continue
            rows.append(
                Attainment(
                    str(target.employee),
                    "employee",
                    dept.depth + 1,
                    target.booked_target,
                    target.collected_target,
                    b_owner.get(emp_id) or ZERO,
                    c_owner.get(emp_id) or ZERO,
                    emp_id,
                )
            )
    _ = employees
    return rows
