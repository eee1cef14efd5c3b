"""Win/loss per competitor: the deals each competitor took part in — won, lost and open
counts and amounts, the win rate, their average price against our amount on the same deals —
and its ECharts options. One grouped query over the deals the caller passes (already limited
to what the user may see)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from .models import DealCompetitor, Opportunity

ZERO = Decimal("0")


@dataclass
class CompetitorRow:
    competitor_id: int
    name: str
    deals: int
    won: int
    won_amount: Decimal
    lost: int
    lost_amount: Decimal
    open: int
    open_amount: Decimal
    lost_to: int  # lost deals this competitor won
    priced: int  # deals with their price recorded (and an amount of ours)
    their_average: Decimal | None
    our_average: Decimal | None

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> float | None:
        """Our share of the closed deals (won / (won + lost)), ``None`` with none closed."""
        return self.won / self.closed if self.closed else None

    @property
    def price_index(self) -> float | None:
        """Their average price as a percentage of our average amount on the same deals."""
        if not self.their_average or not self.our_average:
            return None
        return float(self.their_average / self.our_average * 100)


def win_loss(deals: QuerySet) -> list[CompetitorRow]:
    """A row per competitor that appeared in ``deals``, most deals first."""
    won = Q(opportunity__status=Opportunity.Status.WON)
    lost = Q(opportunity__status=Opportunity.Status.LOST)
    open_ = Q(opportunity__status=Opportunity.Status.OPEN)
    priced = Q(offered_price__isnull=False, opportunity__amount__gt=0)
    rows = (
        DealCompetitor.objects.filter(opportunity__in=deals.order_by().values("pk"))
        .order_by()
        .values("competitor_id", "competitor__name")
        .annotate(
            deals=Count("id"),
            won=Count("id", filter=won),
            won_amount=Sum("opportunity__amount", filter=won),
            lost=Count("id", filter=lost),
            lost_amount=Sum("opportunity__amount", filter=lost),
            open=Count("id", filter=open_),
            open_amount=Sum("opportunity__amount", filter=open_),
            lost_to=Count("id", filter=lost & Q(status=DealCompetitor.Status.THEY_WON)),
            priced=Count("id", filter=priced),
            their_average=Avg("offered_price", filter=priced),
            our_average=Avg("opportunity__amount", filter=priced),
        )
    )
    out = [
        CompetitorRow(
            competitor_id=r["competitor_id"],
            name=r["competitor__name"],
            deals=r["deals"],
            won=r["won"],
            won_amount=r["won_amount"] or ZERO,
            lost=r["lost"],
            lost_amount=r["lost_amount"] or ZERO,
            open=r["open"],
            open_amount=r["open_amount"] or ZERO,
            lost_to=r["lost_to"],
            priced=r["priced"],
            their_average=_money(r["their_average"]),
            our_average=_money(r["our_average"]),
        )
        for r in rows
    ]
    out.sort(key=lambda row: (-row.deals, row.name))
    return out


def _money(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


def win_loss_chart(rows: list[CompetitorRow]) -> dict:
    """ECharts options: stacked bars of won / lost / open deals per competitor and the win
    rate as a line on a second axis."""
    names = [r.name for r in rows]
    option = {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "bottom": 8, "top": 36, "containLabel": True},
        "xAxis": {
            "type": "category",
            "data": names,
            "axisTick": {"show": False},
            "axisLabel": {"interval": 0, "rotate": 30 if len(names) > 6 else 0},
        },
        "yAxis": [
            {"type": "value", "name": _("Deals"), "minInterval": 1},
            {"type": "value", "name": _("Win rate (%)"), "min": 0, "max": 100},
        ],
        "series": [
            {
                "name": _("Won"),
                "type": "bar",
                "stack": "deals",
                "color": "#198754",
                "data": [r.won for r in rows],
            },
            {
                "name": _("Lost"),
                "type": "bar",
                "stack": "deals",
                "color": "#dc3545",
                "data": [r.lost for r in rows],
            },
            {
                "name": _("Open"),
                "type": "bar",
                "stack": "deals",
                "color": "#0d6efd",
                "data": [r.open for r in rows],
            },
            {
                "name": _("Win rate (%)"),
                "type": "line",
                "yAxisIndex": 1,
                "color": "#fd7e14",
                "data": [None if r.win_rate is None else round(r.win_rate * 100, 1) for r in rows],
            },
        ],
    }
    return {"bar": {"option": option}}
