"""The win/loss per competitor page: a chart and a table, every number a link to its deals."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from kehu.core.access_rules import access_rule, perm

from .. import competitor_reports as reports
from .. import pipeline_reports
from .pipeline import VIEW, Scope, _need, deal_list_url


@access_rule(perm(VIEW))
@login_required
def win_loss(request):
    """Deals created in the period where a competitor appeared: won / lost / open, win rate,
    their price against our amount; by pipeline, owner and department (subtree)."""
    _need(request, VIEW)
    scope = Scope(request, pipeline_required=False, default_period="year")
    qs = scope.queryset()
    if scope.pipeline is not None:
        qs = qs.filter(pipeline=scope.pipeline)
    if scope.period:
        start, end = pipeline_reports.day_bounds(*scope.period)
        qs = qs.filter(created_at__gte=start, created_at__lt=end)
    rows = reports.win_loss(qs)
    base = {
        "pipeline": scope.pipeline.pk if scope.pipeline else "",
        "owner": scope.owner.pk if scope.owner else "",
        "department_tree": scope.department.pk if scope.department else "",
        "created_after": scope.period[0].isoformat() if scope.period else "",
        "created_before": scope.period[1].isoformat() if scope.period else "",
    }
    for row in rows:
        row.url = deal_list_url(**base, competitor=row.competitor_id)
        row.won_url = deal_list_url(**base, competitor=row.competitor_id, status="won")
        row.lost_url = deal_list_url(**base, competitor=row.competitor_id, status="lost")
        row.open_url = deal_list_url(**base, competitor=row.competitor_id, status="open")
    return render(
        request,
        "sales/competitors/win_loss.html",
        {
            **scope.context(),
            "rows": rows,
            "charts": reports.win_loss_chart(rows),
            "can_view_competitors": request.user.has_perm("sales.view_competitor"),
        },
    )
