"""Analytics pages: customer value (RFM segments and ABC tiers) within the reader's scope.

Every figure comes from :mod:`kehu.analytics.rfm`'s SQL over the booked orders the user may
see (:func:`kehu.analytics.purchases.order_purchases`): a handful of rows back from the
database whatever the number of customers.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count, F, FloatField
from django.db.models.functions import Cast
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.access_rules import access_rule, own, perm, record
from kehu.core.errors import BadInput

from .churn_crm import reason_label
from .cohorts import cohort_table
from .models import ChurnRun, CustomerValue, Outlier, SavedReport
from .pivot import (
    DIMENSIONS,
    MEASURES,
    PivotRequest,
    as_number,
    dimension_labels,
    run_pivot,
    url_value,
)
from .purchases import order_purchases
from .rfm import abc_tiers, rfm_members, rfm_segments, segment_labels

VIEW = "sales.view_salesorder"
PERIODS = {"12": 12, "24": 24, "36": 36, "all": None}


def _since(months: int | None) -> datetime.date | None:
    if months is None:
        return None
    today = timezone.localdate()
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return today.replace(year=year, month=month + 1, day=1)


def _pareto_chart(curve) -> dict:
    return {"option": _pareto_option(curve)}


def _pareto_option(curve) -> dict:
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 36, "bottom": 30, "top": 40, "containLabel": True},
        "xAxis": {
            "type": "value",
            "max": 100,
            "name": _("Share of customers"),
            "nameLocation": "middle",
            "nameGap": 28,
        },
        "yAxis": {
            "type": "value",
            "max": 100,
            "name": _("Share of the amount"),
            "nameTextStyle": {"align": "left"},
        },
        "series": [
            {
                "name": _("Cumulative share of the amount"),
                "type": "line",
                "smooth": True,
                "showSymbol": False,
                "areaStyle": {"opacity": 0.15},
                "data": [[round(x * 100, 1), round(y * 100, 1)] for x, y in curve],
                "markLine": {
                    "silent": True,
                    "symbol": "none",
                    "data": [{"yAxis": 80}, {"yAxis": 95}],
                },
            }
        ],
    }


AT_RISK = 20


def at_risk(user) -> tuple[int, list]:
    """The customers in ``user``'s scope most likely to stop buying (risk ≥ 50 %), the largest
    value at risk (risk × amount of the last 24 months) first, with their reasons translated;
    and how many there are."""
    from kehu.customers.models import Customer

    risky = CustomerValue.objects.filter(
        customer__in=Customer.objects.visible_to(user), churn_risk__gte=0.5
    )
    rows = list(
        risky.select_related("customer")
        .annotate(at_stake=F("churn_risk") * Cast("monetary", FloatField()))
        .order_by("-at_stake", "customer_id")[:AT_RISK]
    )
    for row in rows:
        row.reasons = [reason_label(k, *rest[1:]) for k, *rest in row.churn_reasons or ()]
    return risky.count(), rows


@access_rule(perm(VIEW))
def customer_value(request):
    """客户价值: RFM segments with what to do about each, ABC tiers and the Pareto curve; a
    segment's customers on request (``?segment=``)."""
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    period = request.GET.get("period", "24")
    period = period if period in PERIODS else "24"
    sql, params = order_purchases(request.user, since=_since(PERIODS[period]))
    labels = segment_labels()
    with connection.cursor() as cursor:
        segments = rfm_segments(cursor, sql, params)
        tiers, curve = abc_tiers(cursor, sql, params)
        chosen = next((s for s in segments if s.segment == request.GET.get("segment")), None)
        members = rfm_members(cursor, sql, params, chosen.cells) if chosen else []
    total = sum(s.customers for s in segments)
    for s in segments:
        s.label, s.advice = labels[s.segment]
        s.share = s.customers / total if total else 0
    if members:
        from kehu.customers.models import Customer

        names = Customer.objects.visible_to(request.user).in_bulk([m.customer for m in members])
        for m in members:
            m.record = names.get(m.customer)
    return render(
        request,
        "analytics/customer_value.html",
        {
            "segments": segments,
            "total": total,
            "tiers": tiers,
            "pareto": _pareto_chart(curve),
            "chosen": chosen,
            "members": members,
            "at_risk": at_risk(request.user),
            "cohorts": cohort_table(request.user),
            "churn_run": ChurnRun.objects.order_by("-computed_at").first(),
            "period": period,
            "periods": [
                ("12", _("Last 12 months")),
                ("24", _("Last 24 months")),
                ("36", _("Last 36 months")),
                ("all", _("All time")),
            ],
        },
    )


@access_rule(perm(VIEW))
def pivot_report(request):
    """多维报表: a measure by rows (and columns) over the booked order lines in the reader's
    scope, with drill-down, a chart and a CSV of exactly what is shown."""
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    query = PivotRequest.from_query(request.GET)
    pivot = run_pivot(request.user, query)
    if request.GET.get("format") == "csv":
        return _pivot_csv(pivot)
    params = request.GET.copy()
    params.pop("format", None)
    return render(
        request,
        "analytics/pivot.html",
        {
            "pivot": pivot,
            "table": _with_links(pivot, params),
            "chart": {"option": _pivot_option(pivot)},
            "measures": [(m.code, m.label) for m in MEASURES.values()],
            "dimensions": [(d.code, d.label) for d in DIMENSIONS.values()],
            "chips": _filter_chips(query, params),
            "csv_query": _with(params, format="csv"),
            "report_query": params.urlencode(),
            "saved_reports": SavedReport.objects.filter(user=request.user),
            "schedules": SavedReport.Schedule.choices,
        },
    )


def _with(params, **changes) -> str:
    q = params.copy()
    for key, value in changes.items():
        if value is None:
            q.pop(key, None)
        else:
            q[key] = value
    return q.urlencode()


def _with_links(pivot, params) -> list[dict]:
    """Each row with the link that drills into it: its value as a filter, the next dimension
    of its path as the rows (columns kept unless they are that dimension)."""
    dim = pivot.row_dim
    rows = pivot.table()
    for row in rows:
        q = params.copy()
        q.appendlist(f"f_{dim.code}", url_value(row["value"]))
        nxt = dim.drill
        if nxt and nxt != dim.code:
            q["rows"] = nxt
            if q.get("columns") == nxt:
                q.pop("columns")
        row["drill"] = q.urlencode()
        if dim.code == "customer" and row["value"] is not None:
            row["record_url"] = reverse("customers:customer_detail", args=[row["value"]])
    return rows


def _filter_chips(query, params) -> list[tuple[str, str]]:
    """(text, link without it) for each drill-down filter in force."""
    chips = []
    for code, value in query.filters:
        dim = DIMENSIONS[code]
        typed = value or None
        if typed is not None and dim.kind == "fk":
            typed = int(value)
        elif typed is not None and dim.kind == "date":
            typed = datetime.date.fromisoformat(value)
        label = dimension_labels(dim, [typed])[typed]
        q = params.copy()
        q.setlist(f"f_{code}", [v for v in q.getlist(f"f_{code}") if v != value])
        chips.append((f"{dim.label}: {label}", q.urlencode()))
    return chips


def _pivot_option(pivot) -> dict:
    rows = pivot.table()[:30]
    names = [r["label"] for r in rows]
    kind = "line" if pivot.row_dim.time else "bar"
    if pivot.col_dim is None:
        series = [
            {
                "name": str(pivot.measure.label),
                "type": kind,
                "data": [as_number(r["total"]) for r in rows],
            }
        ]
    else:
        series = [
            {
                "name": label,
                "type": kind,
                "stack": "total" if kind == "bar" else None,
                "data": [as_number(r["cells"][i]) for r in rows],
            }
            for i, (_value, label) in enumerate(pivot.columns)
        ]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "top": 0},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 36, "containLabel": True},
        "xAxis": {
            "type": "category",
            "data": names,
            "axisLabel": {"rotate": 30 if len(names) > 8 else 0},
        },
        "yAxis": {"type": "value"},
        "series": series,
    }


def _pivot_csv(pivot) -> HttpResponse:
    from .reports import pivot_csv

    response = HttpResponse(pivot_csv(pivot), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kehu-report.csv"'
    return response


OUTLIERS_SHOWN = 200


@access_rule(perm(VIEW))
def outliers(request):
    """孤立点: the orders unlike the rest among those the reader may see, the farthest first."""
    from kehu.sales.models import SalesOrder

    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    kinds = Outlier.Kind
    kind = request.GET.get("kind", "")
    if kind and kind not in kinds.values:
        raise BadInput(_("Unknown kind: %(code)s") % {"code": kind[:20]})
    found = Outlier.objects.filter(order__in=SalesOrder.objects.visible_to(request.user))
    counts = dict(found.values_list("kind").annotate(n=Count("pk")).order_by())
    if kind:
        found = found.filter(kind=kind)
    rows = list(found.select_related("order__customer").order_by("-score", "pk")[:OUTLIERS_SHOWN])
    return render(
        request,
        "analytics/outliers.html",
        {
            "rows": rows,
            "kind": kind,
            "kinds": [(k.value, k.label, counts.get(k.value, 0)) for k in kinds],
            "total": sum(counts.values()),
            "computed_at": rows[0].computed_at if rows else None,
        },
    )


@access_rule(record("customers.customer", VIEW))
def customer_10c(request, pk):
    """The 10C view (:mod:`kehu.analytics.tenc`): one customer from ten sides, each linked to
    the screen that acts on it; a customer outside the reader's scope answers 404."""
    from django.shortcuts import get_object_or_404

    from kehu.customers.models import Customer

    from .tenc import ten_cs

    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    value = CustomerValue.objects.filter(customer_id=customer.pk).first()
    return render(
        request,
        "analytics/customer_10c.html",
        {
            "customer": customer,
            "cards": ten_cs(customer, request.user),
            "computed_at": value.computed_at if value else None,
        },
    )


@access_rule(perm(VIEW))
@login_required
@require_POST
def report_save(request):
    """Keep the pivot page's current report under a name (maybe e-mailed on a schedule)."""
    from .reports import do_save_report

    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    query = request.POST.get("query", "")
    window = (request.POST.get("window_days") or "").strip()
    try:
        if window and not window.isdigit():
            raise ValidationError({"window_days": _("Enter a number of days.")})
        report = do_save_report(
            user=request.user,
            name=request.POST.get("name", ""),
            query=query,
            schedule=request.POST.get("schedule", ""),
            window_days=int(window) if window else None,
            language=request.LANGUAGE_CODE,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(reverse("analytics:pivot") + "?" + query_of(query))
    messages.success(request, _("Saved the report “%(name)s”.") % {"name": report.name})
    return redirect(reverse("analytics:pivot") + "?" + report.query)


def query_of(query: str) -> str:
    """A query string given back to the page after an error: its pivot parameters only, or
    none when they are bad (they are shown as given, never trusted)."""
    from .reports import clean_report_query

    try:
        return clean_report_query(query)
    except ValidationError:
        return ""


@access_rule(own("analytics.savedreport", VIEW))
@login_required
def report_open(request, pk: int):
    """Open a saved report: the pivot page with its parameters, a rolling period resolved."""
    from .reports import report_request

    report = get_object_or_404(SavedReport.objects.filter(user=request.user), pk=pk)
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    query = QueryDict(report.query, mutable=True)
    if report.window_days:
        resolved = report_request(report, timezone.localdate())
        query["from"] = resolved.date_from.isoformat()
        query["to"] = resolved.date_to.isoformat()
    return redirect(reverse("analytics:pivot") + "?" + query.urlencode())


@access_rule(own("analytics.savedreport", VIEW))
@login_required
@require_POST
def report_delete(request, pk: int):
    from .reports import do_delete_report

    report = get_object_or_404(SavedReport.objects.filter(user=request.user), pk=pk)
    do_delete_report(report=report, user=request.user)
    messages.success(request, _("Deleted the report “%(name)s”.") % {"name": report.name})
    return redirect("analytics:pivot")
