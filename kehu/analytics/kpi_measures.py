"""The built-in KPI measures as SQL aggregates over the records the reader may see.

Each measure is one ``GROUP BY (employee, department)`` query over a restricted queryset
(``Model.objects.visible_to(user)``), whatever the number of people: the database returns a
numerator and a denominator per pair, and Python adds the pairs up per employee and per
department (a department's figure then takes its sub-departments in :mod:`.kpi_views`). Ratios
are kept as their two sums so that they add up correctly across people and departments.

An employee's figure counts their own records (owner, or the agent for service figures); a
department's counts the records of the department.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Sum,
)

from kehu.core.permissions import SpecialPermission

from .kpis import MEASURES, ratio

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass
class Figures:
    """Numerator and denominator sums per employee id and per department id (the
    denominator ``None`` for a plain sum or count)."""

    by_employee: dict[int, list] = field(default_factory=lambda: defaultdict(lambda: [ZERO, ZERO]))
    by_department: dict[int, list] = field(
        default_factory=lambda: defaultdict(lambda: [ZERO, ZERO])
    )
    #: How the two sums make the value (the measure's own formula).
    value: Callable[[Decimal, Decimal], Decimal | None] = lambda num, den: num
    #: Not available to this reader (costs without the permission to see them).
    hidden: bool = False

    def add(self, employee, department, num, den=ZERO) -> None:
        num, den = _d(num), _d(den)
        if employee is not None:
            cell = self.by_employee[employee]
            cell[0] += num
            cell[1] += den
        if department is not None:
            cell = self.by_department[department]
            cell[0] += num
            cell[1] += den

    def employee(self, pk: int) -> Decimal | None:
        if self.hidden:
            return None
        num, den = self.by_employee.get(pk, (ZERO, ZERO))
        return self.value(num, den)

    def departments(self, ids) -> Decimal | None:
        """The value over several departments together (a department and those below it)."""
        if self.hidden:
            return None
        num = den = ZERO
        for pk in ids:
            n, d = self.by_department.get(pk, (ZERO, ZERO))
            num += n
            den += d
        return self.value(num, den)


def _scope(model, user):
    """The records ``user`` may see; ``user=None`` is the company-wide evaluation of the alerts
    task (it tells each person only about their own targets)."""
    return model.objects.all() if user is None else model.objects.visible_to(user)


def _d(value) -> Decimal:
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    if isinstance(value, datetime.timedelta):
        return Decimal(value.total_seconds())
    return Decimal(str(value))


def _percent(num, den):
    return ratio(num, den, HUNDRED)


def _average(num, den):
    return ratio(num, den)


def _collect(figures: Figures, rows) -> Figures:
    for employee, department, num, den in rows:
        figures.add(employee, department, num, den)
    return figures


def _grouped(qs, who: str, dept: str, num, den=None, *, only=None):
    """One query: ``(employee, department, num, den)`` per pair. ``only``: the scorecard's one
    subject (the trend needs no one else's figures) — ``("employee", id)`` or
    ``("department", ids)``, a narrowing of the restricted queryset, never a widening."""
    if only is not None:
        kind, value = only
        qs = qs.filter(**({who: value} if kind == "employee" else {f"{dept}__in": value}))
    annotations = {"num": num, "den": den if den is not None else Count("pk")}
    return (
        qs.order_by().values(who, dept).annotate(**annotations).values_list(who, dept, "num", "den")
    )


# --- financial ------------------------------------------------------------------------------------


def _booked_orders(user, start, end):
    from kehu.sales.models import SalesOrder
    from kehu.sales.models.orders import BOOKED_STATUSES

    return _scope(SalesOrder, user).filter(
        status__in=BOOKED_STATUSES, order_date__gte=start, order_date__lt=end
    )


def _payments(user, start, end):
    from kehu.sales.actions.collections import effective_payments
    from kehu.sales.models import Payment

    return effective_payments(_scope(Payment, user)).filter(paid_on__gte=start, paid_on__lt=end)


def revenue(user, start, end, only=None) -> Figures:
    qs = _booked_orders(user, start, end)
    return _collect(Figures(), _grouped(qs, "owner", "department", Sum("total"), only=only))


def collections(user, start, end, only=None) -> Figures:
    qs = _payments(user, start, end)
    return _collect(Figures(), _grouped(qs, "owner", "department", Sum("amount"), only=only))


def gross_margin(user, start, end, only=None) -> Figures:
    """Over booked order lines whose product has a cost: (Σ line total − Σ quantity × cost) ÷ Σ
    line total, in percent; hidden from a reader who may not see costs."""
    from kehu.sales.models import SalesOrderLine
    from kehu.sales.models.orders import BOOKED_STATUSES

    if user is not None and not user.has_perm(SpecialPermission.SEE_COST):
        return Figures(hidden=True)
    money = DecimalField(max_digits=30, decimal_places=6)
    qs = _scope(SalesOrderLine, user).filter(
        order__status__in=BOOKED_STATUSES,
        order__order_date__gte=start,
        order__order_date__lt=end,
        product__cost__gt=0,
    )
    margin = Sum(
        ExpressionWrapper(F("line_total") - F("quantity") * F("product__cost"), output_field=money)
    )
    rows = _grouped(qs, "order__owner", "order__department", margin, Sum("line_total"), only=only)
    return _collect(Figures(value=_percent), rows)


def collection_rate(user, start, end, only=None) -> Figures:
    """Payments received ÷ orders booked in the period, in percent (two queries)."""
    figures = Figures(value=_percent)
    paid = _grouped(_payments(user, start, end), "owner", "department", Sum("amount"), only=only)
    for employee, department, num, _n in paid:
        figures.add(employee, department, num)
    booked = _grouped(
        _booked_orders(user, start, end), "owner", "department", Sum("total"), only=only
    )
    for employee, department, total, _n in booked:
        figures.add(employee, department, ZERO, total)
    return figures


# --- customer -------------------------------------------------------------------------------------


def new_customers(user, start, end, only=None) -> Figures:
    from kehu.customers.models import Customer

    qs = _scope(Customer, user).filter(registered_on__gte=start, registered_on__lt=end)
    return _collect(Figures(), _grouped(qs, "owner", "department", Count("pk"), only=only))


def _retention(user, start, end, *, churn: bool, only=None) -> Figures:
    """The customers (by their owner) who bought in the period of the same length before
    ``start``: how many bought again in [start, end)."""
    from kehu.customers.models import Customer
    from kehu.sales.models import SalesOrder
    from kehu.sales.models.orders import BOOKED_STATUSES

    before = start - (end - start)
    orders = _scope(SalesOrder, user).filter(customer=OuterRef("pk"), status__in=BOOKED_STATUSES)
    qs = (
        _scope(Customer, user)
        .filter(Exists(orders.filter(order_date__gte=before, order_date__lt=start)))
        .annotate(again=Exists(orders.filter(order_date__gte=start, order_date__lt=end)))
    )
    kept = Count("pk", filter=Q(again=False) if churn else Q(again=True))
    return _collect(Figures(value=_percent), _grouped(qs, "owner", "department", kept, only=only))


def retention_rate(user, start, end, only=None) -> Figures:
    return _retention(user, start, end, churn=False, only=only)


def churn_rate(user, start, end, only=None) -> Figures:
    return _retention(user, start, end, churn=True, only=only)


def complaints(user, start, end, only=None) -> Figures:
    from kehu.service.models import ServiceRequest

    qs = _scope(ServiceRequest, user).filter(
        type=ServiceRequest.Type.COMPLAINT, created_at__date__gte=start, created_at__date__lt=end
    )
    return _collect(Figures(), _grouped(qs, "owner", "department", Count("pk"), only=only))


# --- internal process -----------------------------------------------------------------------------


def win_rate(user, start, end, only=None) -> Figures:
    from kehu.sales.models import Opportunity

    qs = _scope(Opportunity, user).filter(
        status__in=["won", "lost"], closed_at__date__gte=start, closed_at__date__lt=end
    )
    won = Count("pk", filter=Q(status="won"))
    return _collect(Figures(value=_percent), _grouped(qs, "owner", "department", won, only=only))


def sales_cycle_days(user, start, end, only=None) -> Figures:
    from kehu.sales.models import Opportunity

    qs = _scope(Opportunity, user).filter(
        status="won", closed_at__date__gte=start, closed_at__date__lt=end
    )
    took = Sum(ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField()))
    figures = _collect(Figures(), _grouped(qs, "owner", "department", took, only=only))
    figures.value = lambda num, den: ratio(num, den * 86400)
    return figures


def _answered(user, start, end):
    from kehu.service.models import ServiceRequest

    return _scope(ServiceRequest, user).filter(
        created_at__date__gte=start, created_at__date__lt=end, agent__isnull=False
    )


def sla_attainment(user, start, end, only=None) -> Figures:
    qs = _answered(user, start, end).filter(response_met__isnull=False)
    met = Count("pk", filter=Q(response_met=True))
    return _collect(
        Figures(value=_percent), _grouped(qs, "agent", "agent__department", met, only=only)
    )


def first_response_hours(user, start, end, only=None) -> Figures:
    qs = _answered(user, start, end).filter(first_response_at__isnull=False)
    took = Sum(
        ExpressionWrapper(F("first_response_at") - F("created_at"), output_field=DurationField())
    )
    figures = _collect(Figures(), _grouped(qs, "agent", "agent__department", took, only=only))
    figures.value = lambda num, den: ratio(num, den * 3600)
    return figures


# --- learning and growth --------------------------------------------------------------------------


def _done_activities(user, start, end, kinds):
    from kehu.customers.models import Activity

    return _scope(Activity, user).filter(
        status="done",
        kind__in=kinds,
        start_at__date__gte=start,
        start_at__date__lt=end,
    )


def activities(user, start, end, only=None) -> Figures:
    qs = _done_activities(user, start, end, ["call", "visit", "meeting"])
    return _collect(Figures(), _grouped(qs, "owner", "department", Count("pk"), only=only))


def visits(user, start, end, only=None) -> Figures:
    qs = _done_activities(user, start, end, ["visit"])
    return _collect(Figures(), _grouped(qs, "owner", "department", Count("pk"), only=only))


def manual(user, start, end, only=None) -> Figures:
    """Entered on the targets themselves: nothing to compute (see :mod:`.kpi_views`)."""
    return Figures(hidden=True)


COMPUTE: dict[str, Callable[..., Figures]] = {
    "revenue": revenue,
    "collections": collections,
    "gross_margin": gross_margin,
    "collection_rate": collection_rate,
    "new_customers": new_customers,
    "retention_rate": retention_rate,
    "churn_rate": churn_rate,
    "complaints": complaints,
    "win_rate": win_rate,
    "sales_cycle_days": sales_cycle_days,
    "sla_attainment": sla_attainment,
    "first_response_hours": first_response_hours,
    "activities": activities,
    "visits": visits,
    "manual": manual,
}
assert set(COMPUTE) == set(MEASURES), "every measure of the catalogue has its SQL"
