"""Service reports: SLA attainment (per month, priority or service level) and the monthly
complaints report. Every query starts from the user's restricted queryset."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import ExtractMonth
from django.utils.translation import gettext as _

from ..models import ServiceRequest

GROUPS = ("month", "priority", "level")


@dataclass
class AttainmentRow:
    key: str
    label: str
    total: int
    response_met: int
    response_known: int
    resolution_met: int
    resolution_known: int

    @property
    def response_percent(self) -> float | None:
        if not self.response_known:
            return None
        return round(100 * self.response_met / self.response_known, 1)

    @property
    def resolution_percent(self) -> float | None:
        if not self.resolution_known:
            return None
        return round(100 * self.resolution_met / self.resolution_known, 1)


def _year_range(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    from django.utils import timezone

    start = timezone.make_aware(datetime.datetime(year, 1, 1))
    return start, timezone.make_aware(datetime.datetime(year + 1, 1, 1))


def sla_attainment(user, *, year: int, by: str = "month") -> list[AttainmentRow]:
    """Requests created in ``year`` grouped by month, priority or service level, with how many
    got their first answer and their resolution in time (of those already known). One query."""
    start, end = _year_range(year)
    qs = ServiceRequest.objects.visible_to(user).filter(created_at__gte=start, created_at__lt=end)
    column = {"month": "month_no", "priority": "priority"}.get(by, "service_level")
    if by == "month":
        qs = qs.annotate(month_no=ExtractMonth("created_at"))
    rows_q = (
        qs.values(column)
        .annotate(
            n_total=Count("id"),
            n_response_met=Count("id", filter=Q(response_met=True)),
            n_response_known=Count("id", filter=Q(response_met__isnull=False)),
            n_resolution_met=Count("id", filter=Q(resolution_met=True)),
            n_resolution_known=Count("id", filter=Q(resolution_met__isnull=False)),
        )
        .order_by()
    )
    found = {str(r[column] or ""): r for r in rows_q}
    if by == "month":
        keys = [(str(m), f"{year}-{m:02d}") for m in range(1, 13)]
    elif by == "priority":
        keys = [(p, str(label)) for p, label in reversed(ServiceRequest.Priority.choices)]
    else:
        from ..models._choices import level_choices

        keys = [(code, label) for code, label in level_choices()]
        keys.append(("", _("No contract")))
        keys += [(k, k) for k in found if k not in {c for c, _l in keys}]
    rows = []
    for key, label in keys:
        r = found.get(key, {})
        rows.append(
            AttainmentRow(
                key=key,
                label=str(label),
                total=r.get("n_total", 0),
                response_met=r.get("n_response_met", 0),
                response_known=r.get("n_response_known", 0),
                resolution_met=r.get("n_resolution_met", 0),
                resolution_known=r.get("n_resolution_known", 0),
            )
        )
    return rows


def attainment_chart(rows: list[AttainmentRow]) -> dict:
    """The ECharts option of the attainment bars (percent, one bar per clock)."""
    return {
        "option": {
            "tooltip": {"trigger": "axis"},
            "legend": {"data": [_("First response in time"), _("Resolved in time")]},
            "grid": {"left": 16, "right": 16, "bottom": 8, "top": 40, "containLabel": True},
            "xAxis": {"type": "category", "data": [r.label for r in rows]},
            "yAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value} %"}},
            "series": [
                {
                    "name": _("First response in time"),
                    "type": "bar",
                    "data": [r.response_percent for r in rows],
                    "itemStyle": {"color": "#0d6efd"},
                },
                {
                    "name": _("Resolved in time"),
                    "type": "bar",
                    "data": [r.resolution_percent for r in rows],
                    "itemStyle": {"color": "#198754"},
                },
            ],
        }
    }


@dataclass
class ComplaintMonth:
    month: int
    label: str
    received: int
    resolved: int
    open: int
    resolved_in_time: int
    by_category: dict


def complaints_by_month(user, *, year: int) -> list[ComplaintMonth]:
    """Complaints received per month of ``year``: how many, resolved, still open, resolved in
    time, and per category. Two queries."""
    from ..models.requests import CLOSED_STATUSES

    start, end = _year_range(year)
    qs = ServiceRequest.objects.visible_to(user).filter(
        type=ServiceRequest.Type.COMPLAINT, created_at__gte=start, created_at__lt=end
    )
    totals = {
        r["m"]: r
        for r in qs.annotate(m=ExtractMonth("created_at"))
        .values("m")
        .annotate(
            received=Count("id"),
            resolved=Count("id", filter=Q(status__in=CLOSED_STATUSES)),
            in_time=Count("id", filter=Q(resolution_met=True)),
        )
        .order_by()
    }
    cats: dict[int, dict] = {}
    for r in (
        qs.annotate(m=ExtractMonth("created_at"))
        .values("m", "category")
        .annotate(n=Count("id"))
        .order_by()
    ):
        cats.setdefault(r["m"], {})[r["category"] or ""] = r["n"]
    out = []
    for m in range(1, 13):
        t = totals.get(m, {})
        received, resolved = t.get("received", 0), t.get("resolved", 0)
        out.append(
            ComplaintMonth(
                month=m,
                label=f"{year}-{m:02d}",
                received=received,
                resolved=resolved,
                open=received - resolved,
                resolved_in_time=t.get("in_time", 0),
                by_category=cats.get(m, {}),
            )
        )
    return out
