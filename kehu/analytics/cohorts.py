"""Retention by cohort and churn rate per period (客户流失率), over the booked orders a reader may
see.

A customer's *cohort* is the quarter of their first booked order; the cohort table says which
share of each cohort bought again 1, 2, 3 … quarters later. The *churn rate of a quarter* is the
share of the customers who bought in the quarter before and bought nothing in it — the simplest
definition a sales manager can check by hand, and the one the documents' lifetime formula
T = 1 / churn rate reads (a quarterly churn rate of 25 % means a customer stays about four
quarters).

The database returns one row per customer and active quarter (``SELECT DISTINCT``); everything
else is counting in Python, so the work grows with customers × quarters, not with orders.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models.functions import TruncQuarter

from kehu.sales.models.orders import BOOKED_STATUSES, SalesOrder

__all__ = ["CohortTable", "cohort_table"]


def _quarter_index(day) -> int:
    if isinstance(day, datetime.datetime):
        day = day.date()
    return day.year * 4 + (day.month - 1) // 3


def quarter_label(index: int) -> str:
    return f"{index // 4} Q{index % 4 + 1}"


@dataclass
class CohortRow:
    quarter: int
    label: str
    customers: int
    retention: list[float | None]  # share buying k quarters after the first; None: not yet


@dataclass
class PeriodChurn:
    quarter: int
    label: str
    base: int  # customers who bought in the quarter before
    churned: int  # … and not in this one
    rate: float | None
    partial: bool = False  # the current quarter: customers may still buy in it


@dataclass
class CohortTable:
    rows: list[CohortRow]
    periods: list[PeriodChurn]
    width: int  # the number of quarter columns

    @property
    def average_churn(self) -> float | None:
        """The mean churn rate of the complete quarters with a base (weighted by the base)."""
        done = [p for p in self.periods if not p.partial and p.base]
        base = sum(p.base for p in done)
        return sum(p.churned for p in done) / base if base else None

    @property
    def lifetime_quarters(self):
        """The documents' expected lifetime T = 1 / churn rate, in quarters."""
        from .value import lifetime

        rate = self.average_churn
        return lifetime(rate) if rate else None


def cohort_table(user, *, quarters: int = 8, today: datetime.date | None = None) -> CohortTable:
    """The last ``quarters`` cohorts (first purchase quarter) of the customers ``user`` may see
    and their retention; and the churn rate of each of the last ``quarters`` quarters."""
    today = today or datetime.date.today()
    now = _quarter_index(today)
    first_quarter = now - quarters + 1
    active = (
        SalesOrder.objects.visible_to(user)
        .filter(status__in=BOOKED_STATUSES)
        .annotate(q=TruncQuarter("order_date"))
        .values_list("customer_id", "q")
        .distinct()
        .order_by()
    )
    seen: dict[int, set[int]] = {}
    for customer, quarter in active:
        seen.setdefault(customer, set()).add(_quarter_index(quarter))
    cohorts: dict[int, list[set[int]]] = {}
    for quarters_bought in seen.values():
        start = min(quarters_bought)
        if start >= first_quarter:
            cohorts.setdefault(start, []).append(quarters_bought)
    rows = []
    for start in range(first_quarter, now + 1):
        members = cohorts.get(start, [])
        retention: list[float | None] = []
        for k in range(quarters):
            if start + k > now or not members:
                retention.append(None)
            else:
                retention.append(sum(1 for m in members if start + k in m) / len(members))
        rows.append(CohortRow(start, quarter_label(start), len(members), retention))
    periods = []
    for q in range(first_quarter, now + 1):
        base = [m for m in seen.values() if q - 1 in m]
        churned = sum(1 for m in base if q not in m)
        periods.append(
            PeriodChurn(
                q,
                quarter_label(q),
                len(base),
                churned,
                churned / len(base) if base else None,
                partial=q == now,
            )
        )
    return CohortTable(rows, periods, quarters)
