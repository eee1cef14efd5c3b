"""The numbers of the pipeline pages: kanban columns, the sales funnel (销售漏斗), the weighted
pipeline, the bookings forecast and who-should-take-this-deal suggestions.

Every function takes a *restricted* queryset of deals (``Opportunity.objects.visible_to(user)``,
already filtered by owner / department subtree as the page asks) so the data permissions hold,
and answers with a constant number of aggregate queries whatever the number of deals.

These are also the functions a dashboard card can call: :func:`open_pipeline_summary`,
:func:`funnel`, :func:`weighted_pipeline`, :func:`bookings_forecast`, :func:`stalled_deals`.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth, TruncQuarter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Opportunity, Pipeline, Stage, StageHistory

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=20, decimal_places=6)
CARDS_PER_COLUMN = 50
#: Won and lost columns of the board show the deals closed in the last N days (unless a period
#: is chosen): a year of closed deals would drown the open ones.
CLOSED_COLUMN_DAYS = 90


# --- Periods -------------------------------------------------------------------------------------

PERIODS = (
    ("", gettext_lazy("Any time")),
    ("month", gettext_lazy("This month")),
    ("quarter", gettext_lazy("This quarter")),
    ("next_quarter", gettext_lazy("Next quarter")),
    ("last_quarter", gettext_lazy("Last quarter")),
    ("year", gettext_lazy("This year")),
    ("last_year", gettext_lazy("Last year")),
)


def quarter_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    m = day.month - 1 + months
    return datetime.date(day.year + m // 12, m % 12 + 1, 1)


def period_range(
    code: str, today: datetime.date | None = None
) -> tuple[datetime.date, datetime.date] | None:
    """(first day, last day) of a named period, ``None`` for any time or an unknown code."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    q = quarter_start(today)
    ranges = {
        "month": (month, add_months(month, 1)),
        "quarter": (q, add_months(q, 3)),
        "next_quarter": (add_months(q, 3), add_months(q, 6)),
        "last_quarter": (add_months(q, -3), q),
        "year": (datetime.date(today.year, 1, 1), datetime.date(today.year + 1, 1, 1)),
        "last_year": (datetime.date(today.year - 1, 1, 1), datetime.date(today.year, 1, 1)),
    }
    found = ranges.get(code)
    if found is None:
        return None
    return found[0], found[1] - datetime.timedelta(days=1)


def day_bounds(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """Aware datetimes [start 00:00, end+1 00:00) in the current time zone."""
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz),
    )


def scoped(
    qs: QuerySet,
    *,
    owner=None,
    department=None,
) -> QuerySet:
    """Deals of one owner and/or a department with its sub-departments."""
    if owner is not None:
        qs = qs.filter(owner=owner)
    if department is not None:
        qs = qs.filter(department__path__startswith=department.path)
    return qs


# --- Kanban --------------------------------------------------------------------------------------


@dataclass
class Column:
    stage: Stage
    count: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO
    cards: list = field(default_factory=list)

    @property
    def more(self) -> bool:
        return self.count > len(self.cards)


def board_queryset(
    qs: QuerySet, pipeline: Pipeline, *, period: tuple | None = None, today=None
) -> QuerySet:
    """The deals a board shows: open ones (expected to close in the period, if one is chosen) and
    those closed in the period (default: the last 90 days)."""
    qs = qs.filter(pipeline=pipeline)
    if period is not None:
        start, end = period
        lo, hi = day_bounds(start, end)
        return qs.filter(
            Q(status=Opportunity.Status.OPEN, expected_close__range=(start, end))
            | Q(closed_at__gte=lo, closed_at__lt=hi)
        )
    since = timezone.now() - datetime.timedelta(days=CLOSED_COLUMN_DAYS)
    return qs.filter(Q(status=Opportunity.Status.OPEN) | Q(closed_at__gte=since))


def column_totals(qs: QuerySet) -> dict[int, tuple[int, Decimal, Decimal]]:
    """{stage id: (deals, amount, weighted amount)} in one GROUP BY."""
    rows = (
        qs.order_by()
        .values("stage_id")
        .annotate(
            n=Count("id"),
            total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY),
            weighted=Coalesce(Sum(weighted_expr()), Value(ZERO), output_field=MONEY),
        )
    )
    return {r["stage_id"]: (r["n"], r["total"], r["weighted"]) for r in rows}


def card_order(stage: Stage | None = None) -> list:
    """Open columns: soonest expected close first; won and lost ones: latest closed first."""
    if stage is not None and stage.kind != Stage.Kind.OPEN:
        return [F("closed_at").desc(nulls_last=True), F("id").desc()]
    return [F("expected_close").asc(nulls_last=True), F("id").asc()]


def board(
    qs: QuerySet,
    pipeline: Pipeline,
    *,
    period: tuple | None = None,
    per_column: int = CARDS_PER_COLUMN,
) -> list[Column]:
    """The columns of a pipeline's board: totals by one aggregate query, and the first
    ``per_column`` cards of every column (soonest expected close first), one query a column."""
    qs = board_queryset(qs, pipeline, period=period)
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "pk"))
    totals = column_totals(qs)
    columns = {s.pk: Column(stage=s) for s in stages}
    for pk, (n, total, weighted) in totals.items():
        if pk in columns:
            columns[pk].count, columns[pk].amount, columns[pk].weighted = n, total, weighted
    # One small query per column: the (stage, expected_close, id) index gives each column's
    # first cards without sorting the whole board (a window over every deal of the board
    # joined to owners and customers was 5x slower at 12,000 open deals).
    for stage in stages:
        if columns[stage.pk].count:
            columns[stage.pk].cards = list(
                card_rows(qs.filter(stage=stage).order_by(*card_order(stage))[:per_column])
            )
    return [columns[s.pk] for s in stages]


def card_rows(qs: QuerySet):
    return qs.select_related("customer", "owner", "stage").only(
        "id",
        "number",
        "name",
        "amount",
        "currency",
        "expected_close",
        "status",
        "stage_changed_at",
        "version",
        "stage_id",
        "customer__id",
        "customer__name",
        "owner__id",
        "owner__username",
        "owner__display_name",
        "owner__first_name",
        "owner__last_name",
        "stage__id",
        "stage__stalled_after_days",
        "stage__kind",
        "stage__name",
        "stage__probability",
        "probability",
    )


def column_cards(qs: QuerySet, stage: Stage, *, offset: int, limit: int = CARDS_PER_COLUMN):
    """The next cards of one column ("load more")."""
    return list(
        card_rows(qs.filter(stage=stage).order_by(*card_order(stage)))[offset : offset + limit]
    )


# --- Funnel --------------------------------------------------------------------------------------


def weighted_expr():
    """amount × (the deal's probability, or its stage's) / 100."""
    return ExpressionWrapper(
        F("amount") * Coalesce(F("probability"), F("stage__probability")) / Value(Decimal(100)),
        output_field=MONEY,
    )


def reached_condition(stage: Stage) -> Q:
    """Deals that reached ``stage`` or a later one of its pipeline (a lost stage: deals lost there)."""
    if stage.kind == Stage.Kind.LOST:
        return Q(stage=stage)
    return Q(
        Exists(
            StageHistory.objects.filter(
                opportunity=OuterRef("pk"),
                to_stage__pipeline_id=stage.pipeline_id,
                to_stage__position__gte=stage.position,
            ).exclude(to_stage__kind=Stage.Kind.LOST)
        )
    )


@dataclass
class FunnelStage:
    stage: Stage
    reached: int = 0  # deals that got to this stage or further
    reached_amount: Decimal = ZERO
    current: int = 0  # deals in this stage now
    current_amount: Decimal = ZERO
    conversion: float | None = None  # share of this stage's deals that reached the next one
    avg_days: float | None = None  # average days spent in this stage (finished stays)
    left: int = 0  # stays in this stage that are finished (the average's base)


@dataclass
class Funnel:
    pipeline: Pipeline
    stages: list[FunnelStage]  # open and won stages, in order
    lost: list[FunnelStage]
    total: int = 0
    total_amount: Decimal = ZERO
    won: int = 0
    won_amount: Decimal = ZERO
    lost_count: int = 0

    @property
    def win_rate(self) -> float | None:
        closed = self.won + self.lost_count
        return self.won / closed if closed else None


def cohort(
    qs: QuerySet,
    pipeline: Pipeline,
    *,
    period: tuple[datetime.date, datetime.date] | None = None,
) -> QuerySet:
    """The deals a funnel counts: those of the pipeline created in the period."""
    qs = qs.filter(pipeline=pipeline)
    if period is not None:
        lo, hi = day_bounds(*period)
        qs = qs.filter(created_at__gte=lo, created_at__lt=hi)
    return qs


def funnel(
    qs: QuerySet,
    pipeline: Pipeline,
    *,
    period: tuple[datetime.date, datetime.date] | None = None,
) -> Funnel:
    """Counts and amounts per stage (reached and current), stage-to-stage conversion and the
    average days in each stage, for the deals of ``qs`` in ``pipeline`` created in ``period``.
    Three aggregate queries."""
    deals = cohort(qs, pipeline, period=period)
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "pk"))
    furthest = (
        StageHistory.objects.filter(opportunity=OuterRef("pk"))
        .exclude(to_stage__kind=Stage.Kind.LOST)
        .order_by("-to_stage__position")
        .values("to_stage__position")[:1]
    )
    by_furthest = (
        deals.order_by()
        .annotate(furthest=Subquery(furthest))
        .values("furthest")
        .annotate(n=Count("id"), total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY))
    )
    reach_rows = [(r["furthest"], r["n"], r["total"]) for r in by_furthest]
    now = column_totals(deals.order_by())
    days = {
        r["from_stage_id"]: (r["avg"], r["n"])
        for r in StageHistory.objects.filter(
            opportunity__in=deals.order_by().values("pk"), from_stage__isnull=False
        )
        .order_by()
        .values("from_stage_id")
        .annotate(avg=Avg("days_in_previous"), n=Count("id"))
    }
    result = Funnel(pipeline=pipeline, stages=[], lost=[])
    for stage in stages:
        n, total, _w = now.get(stage.pk, (0, ZERO, ZERO))
        row = FunnelStage(stage=stage, current=n, current_amount=total)
        avg, left = days.get(stage.pk, (None, 0))
        row.avg_days, row.left = (float(avg) if avg is not None else None), left
        result.total += n
        result.total_amount += total
        if stage.kind == Stage.Kind.LOST:
            row.reached, row.reached_amount = n, total
            result.lost.append(row)
            result.lost_count += n
            continue
        for pos, count, amount in reach_rows:
            if pos is not None and pos >= stage.position:
                row.reached += count
                row.reached_amount += amount
        if stage.kind == Stage.Kind.WON:
            result.won += n
            result.won_amount += total
        result.stages.append(row)
    for here, nxt in zip(result.stages, result.stages[1:], strict=False):
        here.conversion = nxt.reached / here.reached if here.reached else None
    return result


def funnel_chart(result: Funnel) -> dict:
    """ECharts options: the funnel (deals reaching each stage) and bars (amounts)."""
    names = [str(s.stage) for s in result.stages]
    funnel_option = {
        "tooltip": {"trigger": "item", "formatter": "{b}: {c}"},
        "series": [
            {
                "type": "funnel",
                "sort": "none",
                "left": "10%",
                "width": "80%",
                "minSize": "8%",
                "label": {"show": True, "position": "inside", "formatter": "{b}  {c}"},
                "data": [
                    {"name": n, "value": s.reached}
                    for n, s in zip(names, result.stages, strict=True)
                ],
            }
        ],
    }
    bar_option = {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 36, "containLabel": True},
        "xAxis": {"type": "category", "data": names, "axisTick": {"show": False}},
        "yAxis": {"type": "value"},
        "series": [
            {
                "name": _("Amount reaching the stage"),
                "type": "bar",
                "data": [float(s.reached_amount) for s in result.stages],
            },
            {
                "name": _("Amount in the stage now"),
                "type": "bar",
                "data": [float(s.current_amount) for s in result.stages],
            },
        ],
    }
    return {"funnel": {"option": funnel_option}, "bar": {"option": bar_option}}


# --- Forecast ------------------------------------------------------------------------------------


@dataclass
class PeriodRow:
    start: datetime.date
    count: int
    amount: Decimal
    weighted: Decimal


def weighted_pipeline(
    qs: QuerySet,
    *,
    start: datetime.date,
    end: datetime.date,
    by: str = "month",
) -> tuple[list[PeriodRow], PeriodRow]:
    """Open deals expected to close in [start, end], by month or quarter of the expected close:
    count, amount and weighted amount (amount × probability). Also the open deals with no
    expected close date (``start`` of that row is ``None``). Two aggregate queries."""
    trunc = TruncQuarter if by == "quarter" else TruncMonth
    open_deals = qs.filter(status=Opportunity.Status.OPEN)
    rows = (
        open_deals.filter(expected_close__range=(start, end))
        .order_by()
        .annotate(period=trunc("expected_close"))
        .values("period")
        .annotate(
            n=Count("id"),
            total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY),
            weighted=Coalesce(Sum(weighted_expr()), Value(ZERO), output_field=MONEY),
        )
        .order_by("period")
    )
    out = [PeriodRow(_as_date(r["period"]), r["n"], r["total"], r["weighted"]) for r in rows]
    undated = open_deals.filter(expected_close__isnull=True).aggregate(
        n=Count("id"),
        total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY),
        weighted=Coalesce(Sum(weighted_expr()), Value(ZERO), output_field=MONEY),
    )
    return out, PeriodRow(None, undated["n"], undated["total"], undated["weighted"])


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


def monthly_bookings(
    qs: QuerySet, *, months: int = 24, today: datetime.date | None = None
) -> list[tuple[datetime.date, Decimal]]:
    """Won amount per calendar month of ``closed_at`` for the last ``months`` months, the current
    one included, zeros filled in (one query)."""
    today = today or timezone.localdate()
    first = add_months(today.replace(day=1), -(months - 1))
    lo, hi = day_bounds(first, add_months(today.replace(day=1), 1) - datetime.timedelta(days=1))
    rows = (
        qs.filter(status=Opportunity.Status.WON, closed_at__gte=lo, closed_at__lt=hi)
        .order_by()
        .annotate(month=TruncMonth("closed_at"))
        .values("month")
        .annotate(total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY))
    )
    found = {_as_date(r["month"]): r["total"] for r in rows}
    return [(add_months(first, i), found.get(add_months(first, i), ZERO)) for i in range(months)]


def holt(series: list[float], horizon: int) -> tuple[list[float], tuple[float, float]]:
    """Holt's linear (double exponential) smoothing: a level and a trend, each updated with its
    own smoothing weight; the weights are the pair on a 0.1 grid with the least one-step-ahead
    squared error over the history. Forecasts are never below zero (bookings cannot be)."""
    if not series:
        return [0.0] * horizon, (0.0, 0.0)
    if len(series) < 3:
        mean = sum(series) / len(series)
        return [max(mean, 0.0)] * horizon, (0.0, 0.0)
    grid = [i / 10 for i in range(1, 10)]
    best = None
    for alpha in grid:
        for beta in grid:
            level, trend = series[0], series[1] - series[0]
            sse = 0.0
            for y in series[1:]:
                pred = level + trend
                sse += (y - pred) ** 2
                last = level
                level = alpha * y + (1 - alpha) * (level + trend)
                trend = beta * (level - last) + (1 - beta) * trend
            if best is None or sse < best[0]:
                best = (sse, alpha, beta, level, trend)
    _sse, alpha, beta, level, trend = best
    return [max(level + (h + 1) * trend, 0.0) for h in range(horizon)], (alpha, beta)


@dataclass
class Forecast:
    history: list[tuple[datetime.date, Decimal]]
    forecast: list[tuple[datetime.date, Decimal]]
    alpha: float
    beta: float


def bookings_forecast(
    qs: QuerySet, *, months: int = 24, horizon: int = 6, today: datetime.date | None = None
) -> Forecast:
    """Won amount per month for the last ``months`` months (the running month left out of the
    fit: it is not over) and Holt's forecast of the next ``horizon`` months."""
    today = today or timezone.localdate()
    history = monthly_bookings(qs, months=months, today=today)
    complete = history[:-1]
    values, (alpha, beta) = holt([float(v) for _m, v in complete], horizon + 1)
    start = history[-1][0]
    forecast = [(add_months(start, i), Decimal(str(round(v, 2)))) for i, v in enumerate(values)]
    return Forecast(history=history, forecast=forecast, alpha=alpha, beta=beta)


def forecast_chart(rows: list[PeriodRow], fc: Forecast, *, by: str) -> dict:
    def label(day: datetime.date) -> str:
        if by == "quarter":
            return f"{day.year} Q{(day.month - 1) // 3 + 1}"
        return day.strftime("%Y-%m")

    weighted = {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 36, "containLabel": True},
        "xAxis": {"type": "category", "data": [label(r.start) for r in rows]},
        "yAxis": {"type": "value"},
        "series": [
            {"name": _("Amount"), "type": "bar", "data": [float(r.amount) for r in rows]},
            {"name": _("Weighted"), "type": "bar", "data": [float(r.weighted) for r in rows]},
        ],
    }
    first = next((i for i, (_m, v) in enumerate(fc.history) if v), len(fc.history))
    history = fc.history[min(first, max(len(fc.history) - 6, 0)) :]  # no empty lead-in
    months = [m.strftime("%Y-%m") for m, _v in history] + [
        m.strftime("%Y-%m") for m, _v in fc.forecast[1:]
    ]
    n_hist = len(history)
    actual = [float(v) for _m, v in history] + [None] * (len(fc.forecast) - 1)
    predicted = [None] * (n_hist - 1) + [float(v) for _m, v in fc.forecast]
    bookings = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 36, "containLabel": True},
        "xAxis": {"type": "category", "data": months},
        "yAxis": {"type": "value"},
        "series": [
            {"name": _("Won amount"), "type": "bar", "data": actual},
            {
                "name": _("Forecast"),
                "type": "line",
                "data": predicted,
                "lineStyle": {"type": "dashed"},
                "connectNulls": False,
            },
        ],
    }
    return {"weighted": {"option": weighted}, "bookings": {"option": bookings}}


# --- Who should take this deal -------------------------------------------------------------------

#: Deal size bands (in the base currency) for "similar deals".
SIZE_BANDS = (Decimal("50000"), Decimal("200000"), Decimal("1000000"))


def size_band(amount: Decimal) -> tuple[Decimal | None, Decimal | None]:
    low = None
    for edge in SIZE_BANDS:
        if amount < edge:
            return low, edge
        low = edge
    return low, None


def _band_q(band) -> Q:
    low, high = band
    q = Q()
    if low is not None:
        q &= Q(amount__gte=low)
    if high is not None:
        q &= Q(amount__lt=high)
    return q


@dataclass
class Suggestion:
    person: object
    score: float
    industry_rate: float
    industry_closed: int
    size_rate: float
    size_closed: int
    overall_rate: float
    overall_closed: int
    open_deals: int
    load_factor: float


def suggest_owners(
    qs: QuerySet, opportunity: Opportunity, *, limit: int = 5, years: int = 2
) -> list[Suggestion]:
    """Salespeople ranked for a deal: their win rate on similar closed deals (same customer
    industry, same size band, and overall; each smoothed as (won + 1) / (closed + 2) so two
    lucky deals do not beat forty good ones) and how many open deals they carry now.

    score = 100 × (0.75 × (0.4 × industry + 0.4 × size + 0.2 overall) + 0.25 × (1 − open / most open))

    ``qs``: the deals the viewer may see (their data scope), one aggregate query."""
    since = timezone.now() - datetime.timedelta(days=365 * years)
    industry = getattr(opportunity.customer, "industry", "") or ""
    band = _band_q(size_band(opportunity.amount or ZERO))
    closed = Q(status__in=[Opportunity.Status.WON, Opportunity.Status.LOST], closed_at__gte=since)
    won = Q(status=Opportunity.Status.WON, closed_at__gte=since)
    same_industry = Q(customer__industry=industry) if industry else Q(pk__in=[])
    rows = (
        qs.filter(owner__is_active=True)
        .exclude(pk=opportunity.pk)
        .order_by()
        .values("owner_id")
        .annotate(
            closed_all=Count("id", filter=closed),
            won_all=Count("id", filter=won),
            closed_ind=Count("id", filter=closed & same_industry),
            won_ind=Count("id", filter=won & same_industry),
            closed_size=Count("id", filter=closed & band),
            won_size=Count("id", filter=won & band),
            open=Count("id", filter=Q(status=Opportunity.Status.OPEN)),
        )
    )
    rows = list(rows)
    if not rows:
        return []
    most_open = max(r["open"] for r in rows) or 1
    from django.contrib.auth import get_user_model

    people = get_user_model().objects.in_bulk([r["owner_id"] for r in rows])
    out = []
    for r in rows:
        ind = (r["won_ind"] + 1) / (r["closed_ind"] + 2)
        size = (r["won_size"] + 1) / (r["closed_size"] + 2)
        overall = (r["won_all"] + 1) / (r["closed_all"] + 2)
        load = 1 - r["open"] / most_open
        fit = 0.4 * ind + 0.4 * size + 0.2 * overall
        out.append(
            Suggestion(
                person=people[r["owner_id"]],
                score=round(100 * (0.75 * fit + 0.25 * load), 1),
                industry_rate=ind,
                industry_closed=r["closed_ind"],
                size_rate=size,
                size_closed=r["closed_size"],
                overall_rate=overall,
                overall_closed=r["closed_all"],
                open_deals=r["open"],
                load_factor=load,
            )
        )
    out.sort(key=lambda s: (-s.score, s.open_deals, s.person.pk))
    return out[:limit]


# --- Stalled deals and dashboard numbers ---------------------------------------------------------


def stalled_deals(qs: QuerySet) -> QuerySet:
    """Open deals in their stage longer than the stage allows."""
    from .filters.pipeline import stalled_condition

    return qs.filter(stalled_condition())


def open_pipeline_summary(qs: QuerySet) -> dict:
    """{"count", "amount", "weighted", "stalled"} of the open deals of ``qs`` (a "my open deals"
    dashboard card: pass ``Opportunity.objects.visible_to(user).filter(owner=user)``)."""
    open_deals = qs.filter(status=Opportunity.Status.OPEN)
    row = open_deals.aggregate(
        n=Count("id"),
        total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY),
        total_weighted=Coalesce(Sum(weighted_expr()), Value(ZERO), output_field=MONEY),
    )
    return {
        "count": row["n"],
        "amount": row["total"],
        "weighted": row["total_weighted"],
        "stalled": stalled_deals(open_deals).count(),
    }


# --- Lost reasons and competitors ----------------------------------------------------------------

COMPETITOR_SEPARATORS = re.compile(r"[,，、;；/\n]+")


@dataclass
class LostRow:
    label: str
    count: int
    amount: Decimal
    value: str = ""  # what the deal list filters on ("" for competitors)


def _reason_labels() -> dict[str, str]:
    """A stored reason (the dictionary code, or its Chinese or English label) → the label in the
    reader's language; anything else (typed in freely) is shown as it is."""
    from kehu.system.params import DICTIONARIES, dictionary_choices

    shown = dict(dictionary_choices("lost_reason", include_inactive=True))
    labels: dict[str, str] = {}
    for dictionary, item, zh, en, _active, _color in DICTIONARIES.get():
        if dictionary == "lost_reason":
            for key in (item, zh, en):
                if key:
                    labels[key.strip().casefold()] = shown.get(item, zh)
    return labels


def lost_analysis(qs: QuerySet) -> tuple[list[LostRow], list[LostRow]]:
    """Lost deals of ``qs`` per reason (dictionary reasons merged whatever language they were
    stored in) and per competitor named on them (a deal naming two counts for both), most
    frequent first; one aggregate query for the reasons, one pass over the competitors."""
    lost = qs.filter(status=Opportunity.Status.LOST)
    labels = _reason_labels()
    reasons: dict[str, LostRow] = {}
    for row in lost.values("lost_reason").annotate(n=Count("pk"), total=Sum("amount")):
        text = (row["lost_reason"] or "").strip()
        label = labels.get(text.casefold(), text) or "–"
        entry = reasons.setdefault(label, LostRow(label, 0, Decimal("0"), text))
        entry.count += row["n"]
        entry.amount += row["total"] or Decimal("0")
    competitors: dict[str, LostRow] = {}
    for names, amount in lost.exclude(competitors="").values_list("competitors", "amount"):
        for name in {n.strip() for n in COMPETITOR_SEPARATORS.split(names) if n.strip()}:
            entry = competitors.setdefault(name.casefold(), LostRow(name, 0, Decimal("0")))
            entry.count += 1
            entry.amount += amount or Decimal("0")

    def order(rows):
        return sorted(rows, key=lambda r: (-r.count, -r.amount, r.label))

    return order(reasons.values()), order(competitors.values())
