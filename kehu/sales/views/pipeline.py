"""Pages of the pipeline area: the kanban board (drag a card to change its stage), the sales
funnel, the forecast, a deal's page and a pipeline's stages."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.access_rules import access_rule, perm, record
from kehu.core.errors import StaleObjectError
from kehu.core.permissions import Access
from kehu.core.providers import departments_in_scope, people_in_scope
from kehu.core.query import date_param, int_param, safe_next
from kehu.core.views import ObjectDetailView
from kehu.system.params import dictionary_choices

from .. import pipeline_reports as reports
from ..actions.pipeline import default_pipeline, move_stage, stages_of
from ..models import Competitor, Opportunity, Pipeline, Stage, StageHistory
from ..templatetags.pipeline_tags import format_money
from .competitors import deal_competitors_context, deal_notes_context
from .opportunity_lines import lines_context

VIEW = "sales.view_opportunity"
CHANGE = "sales.change_opportunity"


def _need(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


class Scope:
    """The filters the board, the funnel and the forecast share: pipeline, owner, department
    (with its sub-departments) and period, each checked against the user's data scope."""

    def __init__(self, request, *, pipeline_required: bool = True, default_period: str = ""):
        get = request.GET
        user = request.user
        self.user = user
        self.pipelines = list(Pipeline.objects.filter(active=True).order_by("position", "pk"))
        pk = int_param(get.get("pipeline"), name="pipeline")
        self.pipeline = None
        if pk is not None:
            self.pipeline = next((p for p in self.pipelines if p.pk == pk), None)
            if self.pipeline is None:
                raise Http404
        elif pipeline_required:
            self.pipeline = next((p for p in self.pipelines if p.is_default), None)
            if self.pipeline is None:
                self.pipeline = default_pipeline()
                self.pipelines = self.pipelines or [self.pipeline]
        self.people = people_in_scope(user, Opportunity, Access.VIEW)
        self.departments = departments_in_scope(user, Opportunity, Access.VIEW)
        owner_id = int_param(get.get("owner"), name="owner")
        self.owner = self.people.filter(pk=owner_id).first() if owner_id else None
        if owner_id and self.owner is None:
            raise Http404
        dept_id = int_param(get.get("department"), name="department")
        self.department = self.departments.filter(pk=dept_id).first() if dept_id else None
        if dept_id and self.department is None:
            raise Http404
        self.period_code = get.get("period", default_period)
        if self.period_code not in dict(reports.PERIODS):
            self.period_code = default_period
        start = date_param(get.get("from"), name="from")
        end = date_param(get.get("to"), name="to")
        if start or end:
            self.period_code = "custom"
            self.period = (start or datetime.date(1900, 1, 1), end or datetime.date(2100, 12, 31))
        else:
            self.period = reports.period_range(self.period_code)
        self.start, self.end = start, end

    def queryset(self):
        qs = Opportunity.objects.visible_to(self.user)
        return reports.scoped(qs, owner=self.owner, department=self.department)

    def query(self, **extra) -> str:
        params = {
            "pipeline": self.pipeline.pk if self.pipeline else "",
            "owner": self.owner.pk if self.owner else "",
            "department": self.department.pk if self.department else "",
            "period": self.period_code if self.period_code != "custom" else "",
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
            **extra,
        }
        return urlencode({k: v for k, v in params.items() if v not in ("", None)})

    def context(self) -> dict:
        return {
            "scope": self,
            "pipelines": self.pipelines,
            "pipeline": self.pipeline,
            "people": self.people.order_by("display_name", "username")[:500],
            "departments": self.departments.order_by("path")[:500],
            "periods": reports.PERIODS,
        }


def deal_list_url(**params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in ("", None)})
    return reverse("sales:opportunity_list") + ("?" + query if query else "")


# --- Kanban --------------------------------------------------------------------------------------


@access_rule(perm(VIEW))
@login_required
def kanban(request):
    """The board of a pipeline: a column per stage with its count and amounts; the first cards
    of each column (soonest expected close first) and "load more" for the rest."""
    _need(request, VIEW)
    scope = Scope(request)
    columns = reports.board(scope.queryset(), scope.pipeline, period=scope.period)
    can_move = request.user.has_perm(CHANGE)
    editable = set()
    if can_move:
        ids = [c.pk for col in columns for c in col.cards]
        editable = set(
            Opportunity.objects.editable_by(request.user)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
    return render(
        request,
        "sales/pipeline/kanban.html",
        {
            **scope.context(),
            "columns": columns,
            "editable": editable,
            "can_move": can_move,
            "query": scope.query(),
            "closed_days": reports.CLOSED_COLUMN_DAYS,
            "stages": [col.stage for col in columns],
            "lost_reasons": [label for _code, label in dictionary_choices("lost_reason")],
        },
    )


@access_rule(perm(VIEW))
@login_required
def kanban_column(request):
    """More cards of one column (HTMX "load more"): ``?stage=…&offset=…`` and the board's filters."""
    _need(request, VIEW)
    scope = Scope(request)
    stage_id = int_param(request.GET.get("stage"), name="stage")
    stage_obj = get_object_or_404(Stage, pk=stage_id or 0, pipeline=scope.pipeline)
    offset = int_param(request.GET.get("offset"), name="offset") or 0
    qs = reports.board_queryset(scope.queryset(), scope.pipeline, period=scope.period)
    cards = reports.column_cards(qs, stage_obj, offset=offset)
    editable = set()
    if request.user.has_perm(CHANGE):
        editable = set(
            Opportunity.objects.editable_by(request.user)
            .filter(pk__in=[c.pk for c in cards])
            .values_list("pk", flat=True)
        )
    total = qs.filter(stage=stage_obj).count()
    return render(
        request,
        "sales/pipeline/_cards.html",
        {
            "cards": cards,
            "editable": editable,
            "stage": stage_obj,
            "next_offset": offset + len(cards) if offset + len(cards) < total else None,
            "query": scope.query(),
        },
    )


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@access_rule(record("sales.opportunity", CHANGE))
@login_required
@require_POST
def move(request, pk: int):
    """Move a deal to another stage of its pipeline (``move_stage``): JSON for the board's
    drag and drop (the new column totals, or the refusal's message), a redirect otherwise."""
    visible = Opportunity.objects.visible_to(request.user)
    opp = get_object_or_404(visible, pk=pk)
    if not request.user.has_perm(CHANGE) or not (
        Opportunity.objects.editable_by(request.user).filter(pk=opp.pk).exists()
    ):
        raise PermissionDenied
    stage_id = int_param(request.POST.get("stage"), name="stage")
    version = int_param(request.POST.get("version"), name="version")
    from_stage = opp.stage_id
    stage = Stage.objects.filter(pk=stage_id).first() if stage_id else None
    lost_to_id = int_param(request.POST.get("lost_to"), name="lost_to")
    lost_to = Competitor.objects.filter(pk=lost_to_id).first() if lost_to_id else None
    error = None
    if stage is None:
        error = _("Choose a stage.")
    elif lost_to_id and lost_to is None:
        error = _("Choose a competitor from the list.")
    else:
        try:
            opp = move_stage(
                user=request.user,
                opportunity=opp,
                stage=stage,
                lost_reason=request.POST.get("lost_reason", "")[:200],
                lost_to=lost_to,
                version=version,
            )
        except StaleObjectError:
            error = _("Someone changed this deal in the meantime. Reload the page and try again.")
        except ValidationError as exc:
            error = " ".join(exc.messages)
    if _wants_json(request):
        if error:
            return JsonResponse({"ok": False, "message": error}, status=400)
        scope = Scope(request)  # the board's filters come along in the query string
        changed = [from_stage, opp.stage_id]  # only the two columns the move changed
        totals = reports.column_totals(
            reports.board_queryset(scope.queryset(), opp.pipeline, period=scope.period).filter(
                stage_id__in=changed
            )
        )
        return JsonResponse(
            {
                "ok": True,
                "message": _("%(deal)s moved to %(stage)s.") % {"deal": opp, "stage": opp.stage},
                "version": opp.version,
                "stage": opp.stage_id,
                "status": opp.status,
                "columns": {
                    str(s.pk): {
                        "count": totals.get(s.pk, (0,))[0],
                        "amount": format_money(totals.get(s.pk, (0, reports.ZERO))[1]),
                    }
                    for s in stages_of(opp.pipeline)
                    if s.pk in changed
                },
            }
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request, _("%(deal)s moved to %(stage)s.") % {"deal": opp, "stage": opp.stage}
        )
    return redirect(safe_next(request, request.POST.get("next"), opp.get_absolute_url()))


# --- Funnel --------------------------------------------------------------------------------------


@access_rule(perm(VIEW))
@login_required
def funnel(request):
    """销售漏斗: deals reaching each stage, conversion, days in stage; by owner, department
    (subtree) and period of creation; every number links to its deals."""
    _need(request, VIEW)
    scope = Scope(request, default_period="year")
    result = reports.funnel(scope.queryset(), scope.pipeline, period=scope.period)
    base = {
        "pipeline": scope.pipeline.pk,
        "owner": scope.owner.pk if scope.owner else "",
        "department_tree": scope.department.pk if scope.department else "",
        "created_after": scope.period[0].isoformat() if scope.period else "",
        "created_before": scope.period[1].isoformat() if scope.period else "",
    }
    for row in [*result.stages, *result.lost]:
        row.reached_url = deal_list_url(**base, reached=row.stage.pk)
        row.current_url = deal_list_url(**base, stage=row.stage.pk)
    top = result.stages[0].reached if result.stages else 0
    for row in result.stages:
        row.share = row.reached / top if top else None
    return render(
        request,
        "sales/pipeline/funnel.html",
        {
            **scope.context(),
            "funnel": result,
            "charts": reports.funnel_chart(result),
            "all_url": deal_list_url(**base),
        },
    )


# --- Forecast ------------------------------------------------------------------------------------


@access_rule(perm(VIEW))
@login_required
def forecast(request):
    """Weighted pipeline by month or quarter of expected close, and Holt's forecast of bookings."""
    _need(request, VIEW)
    scope = Scope(request, pipeline_required=False)
    by = "quarter" if request.GET.get("by") == "quarter" else "month"
    qs = scope.queryset()
    if scope.pipeline is not None:
        qs = qs.filter(pipeline=scope.pipeline)
    today = timezone.localdate()
    start = reports.quarter_start(today) if by == "quarter" else today.replace(day=1)
    end = reports.add_months(start, 12) - datetime.timedelta(days=1)
    rows, undated = reports.weighted_pipeline(qs, start=start, end=end, by=by)
    fc = reports.bookings_forecast(qs, today=today)
    for row in rows:
        last = reports.add_months(row.start, 3 if by == "quarter" else 1) - datetime.timedelta(
            days=1
        )
        row.url = deal_list_url(
            status="open",
            pipeline=scope.pipeline.pk if scope.pipeline else "",
            owner=scope.owner.pk if scope.owner else "",
            department_tree=scope.department.pk if scope.department else "",
            close_after=row.start.isoformat(),
            close_before=last.isoformat(),
        )
    return render(
        request,
        "sales/pipeline/forecast.html",
        {
            **scope.context(),
            "by": by,
            "rows": rows,
            "undated": undated,
            "total_amount": sum((r.amount for r in rows), reports.ZERO),
            "total_weighted": sum((r.weighted for r in rows), reports.ZERO),
            "total_count": sum(r.count for r in rows),
            "fc": fc,
            "next_months": fc.forecast[1:4],
            "charts": reports.forecast_chart(rows, fc, by=by),
        },
    )


# --- A deal's page and a pipeline's page ---------------------------------------------------------


class OpportunityDetailView(ObjectDetailView):
    """The generic record page plus the stage path, stage history, the customer's activities
    since the deal was opened, and who-should-take-this-deal suggestions."""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        opp = ctx["object"]
        user = self.request.user
        ctx["stages"] = stages_of(opp.pipeline_id)
        ctx["lost_reasons"] = [label for _code, label in dictionary_choices("lost_reason")]
        ctx["stage_history"] = list(
            StageHistory.objects.filter(opportunity=opp)
            .select_related("from_stage", "to_stage", "changed_by")
            .order_by("-changed_at", "-pk")[:50]
        )
        ctx["can_move"] = (
            user.has_perm(CHANGE)
            and Opportunity.objects.editable_by(user).filter(pk=opp.pk).exists()
        )
        ctx["activities"] = None
        if user.has_perm("customers.view_activity"):
            from kehu.customers.models import Activity

            ctx["activities"] = list(
                Activity.objects.visible_to(user)
                .filter(customer_id=opp.customer_id, start_at__gte=opp.created_at)
                .select_related("owner")
                .order_by("-start_at", "-pk")[:20]
            )
        ctx["suggestions"] = (
            reports.suggest_owners(Opportunity.objects.visible_to(user), opp)
            if opp.status == Opportunity.Status.OPEN
            else []
        )
        ctx["size_band"] = reports.size_band(opp.amount)
        ctx.update(lines_context(opp, user))
        ctx.update(deal_competitors_context(opp, user))
        ctx["notes_card"] = deal_notes_context(opp, user)
        ctx["lost_to_picker"] = ""
        if ctx["can_move"] and opp.status != Opportunity.Status.LOST:
            from kehu.core.pickers import picker_html

            ctx["lost_to_picker"] = picker_html(
                "lost_to",
                Competitor.objects.filter(active=True),
                user=user,
                required=False,
                attrs={"id": "lost-to"},
            )
        if not opp.competitors:  # the free-text field of older deals: only when filled
            label = Opportunity._meta.get_field("competitors").verbose_name
            ctx["fields"] = [(k, v) for k, v in ctx["fields"] if k != label]
        return ctx


class PipelineDetailView(ObjectDetailView):
    """A pipeline with its stages in order (each with its deals), edited in place."""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        pipeline = ctx["object"]
        stages = stages_of(pipeline)
        counts = dict(
            Opportunity.objects.filter(pipeline=pipeline)
            .order_by()
            .values("stage_id")
            .annotate(n=Count("id"))
            .values_list("stage_id", "n")
        )
        for s in stages:
            s.deal_count = counts.get(s.pk, 0)
        user = self.request.user
        ctx.update(
            stages=stages,
            can_add_stage=user.has_perm("sales.add_stage"),
            can_change_stage=user.has_perm("sales.change_stage"),
            can_delete_stage=user.has_perm("sales.delete_stage"),
        )
        return ctx


# --- Lost reasons --------------------------------------------------------------------------------


@access_rule(perm(VIEW))
@login_required
def lost_reasons(request):
    """Deals lost in the period (by close date) per reason and per competitor: counts, amounts,
    each reason a link to its deals."""
    _need(request, VIEW)
    scope = Scope(request, pipeline_required=False, default_period="year")
    qs = scope.queryset()
    if scope.pipeline is not None:
        qs = qs.filter(pipeline=scope.pipeline)
    start, end = reports.day_bounds(*scope.period)
    qs = qs.filter(closed_at__gte=start, closed_at__lt=end)
    by_reason, by_competitor = reports.lost_analysis(qs)
    return render(
        request,
        "sales/pipeline/lost_reasons.html",
        {
            **scope.context(),
            "by_reason": by_reason,
            "by_competitor": by_competitor,
            "lost_count": sum(r.count for r in by_reason),
            "lost_amount": sum((r.amount for r in by_reason), Decimal("0")),
        },
    )
