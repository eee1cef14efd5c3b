"""The balanced scorecard page (平衡计分卡) and the KPI lists' routes.

``?subject=e<id>`` (an employee) or ``d<id>`` (a department), ``?period=2026-03`` (a month),
``2026-Q1`` or ``2026``. Whom one may open comes from the data scope on KPI targets
(:func:`.kpi_scorecard.subjects_for`); anyone else answers 404.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.access_rules import access_rule, perm
from kehu.core.errors import BadInput
from kehu.core.views import object_urls

from .kpi_object_types import KPI_DEFINITION, KPI_TARGET
from .kpi_scorecard import build, definitions, measure_figures, subjects_for, targets_for
from .kpis import PERIODS, Period

VIEW = "analytics.view_kpitarget"
TREND_PERIODS = 6


def format_value(value, unit: str) -> str:
    """A KPI figure as the table shows it."""
    if value is None:
        return "—"
    value = Decimal(value)
    if unit == "money":
        q = value.quantize(Decimal(1))
        return f"{q:,.0f}"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit in ("days", "hours", "score"):
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _period(request, today) -> Period:
    text = request.GET.get("period", "")
    kind = request.GET.get("kind", "")
    if text:
        try:
            return Period.parse(text)
        except ValueError:
            raise BadInput(_("Unknown period: %(value)s") % {"value": text[:20]}) from None
    if kind and kind not in dict(PERIODS):
        raise BadInput(_("Unknown period: %(value)s") % {"value": kind[:20]})
    return Period.containing(today, kind or "month")


def trend_option(cards) -> dict:
    """ECharts: the score per period, with 100% (on target) and the 80% alert line."""
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "bottom": 24, "top": 36, "containLabel": True},
        "xAxis": {"type": "category", "data": [c.period.label for c in cards]},
        "yAxis": {"type": "value", "name": "%", "min": 0},
        "series": [
            {
                "name": _("Scorecard score"),
                "type": "line",
                "data": [float(c.score) if c.score is not None else None for c in cards],
                "connectNulls": True,
                "label": {"show": True},
            },
            *[
                {
                    "name": str(label),
                    "type": "line",
                    "lineStyle": {"type": "dotted"},
                    "data": [
                        float(next(p for p in c.perspectives if p[0] == code)[3])
                        if next(p for p in c.perspectives if p[0] == code)[3] is not None
                        else None
                        for c in cards
                    ],
                    "connectNulls": True,
                }
                for code, label, *_rest in (cards[-1].perspectives if cards else [])
            ],
            {
                "name": _("Alert under"),
                "type": "line",
                "symbol": "none",
                "lineStyle": {"type": "dashed", "color": "#dc3545"},
                "data": [80 for _c in cards],
            },
        ],
    }


@access_rule(perm(VIEW))
def scorecard_page(request):
    """One subject's scorecard by perspective, its trend, what is behind, and (for a manager)
    the scores of everyone they reach, from the same figures."""
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    today = timezone.localdate()
    period = _period(request, today)
    employees, departments = subjects_for(request.user)
    everyone = [*employees, *departments]
    asked = request.GET.get("subject")
    if asked and not any(s.key == asked for s in everyone):
        raise Http404
    defs = definitions()
    subject, card, team, cards = None, None, [], []
    if everyone:
        figures = measure_figures(request.user, defs, period)
        targets = targets_for(request.user, period)
        team = [build(s, period, defs, figures, targets, today=today) for s in everyone]
        by_key = {t.subject.key: t for t in team}
        own = by_key.get(f"e{request.user.pk}")
        if asked:
            card = by_key[asked]
        elif own is not None and any(r.target is not None for r in own.rows):
            card = own
        else:
            # a manager without targets of their own: the top of their tree
            card = next((t for t in team if t.subject.kind == "department"), own or team[0])
        subject = card.subject
        for p in period.last(TREND_PERIODS)[:-1]:
            cards.append(
                build(
                    subject,
                    p,
                    defs,
                    measure_figures(request.user, defs, p, only=subject.only),
                    targets_for(request.user, p),
                    today=today,
                )
            )
        cards.append(card)
        for row in card.rows:
            row.shown_target = format_value(row.target, row.unit)
            row.shown_actual = format_value(row.actual, row.unit)
            row.shown_due = format_value(row.due, row.unit)
    kinds = [(code, label, Period.containing(today, code).key) for code, label in PERIODS]
    return render(
        request,
        "analytics/kpi_scorecard.html",
        {
            "card": card,
            "subject": subject,
            "period": period,
            "previous": period.previous(),
            "next": None if period.end > today else Period.containing(period.end, period.kind),
            "kinds": kinds,
            "employees": employees,
            "departments": departments,
            "team": [t for t in team if any(r.target is not None for r in t.rows)],
            "trend": {"option": trend_option(cards)} if cards else None,
            "elapsed": int(card.elapsed * 100) if card else 0,
        },
    )


urlpatterns = [
    path("kpis/", scorecard_page, name="kpi_scorecard"),
    *object_urls(KPI_DEFINITION),
    *object_urls(KPI_TARGET),
]
