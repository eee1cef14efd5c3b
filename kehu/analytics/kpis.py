"""KPIs and the balanced scorecard (平衡计分卡): the pure computation.

No database here: periods, the catalogue of built-in measures (what each counts, its unit, which
way is better, whether it adds up over time), attainment, the weighted score and the "behind"
rule. :mod:`.kpi_measures` computes the actual values with SQL aggregation; :mod:`.kpi_views`
puts them on the page.

Formulas (each tested against hand-worked values in ``tests/test_kpis.py``):

- attainment, higher is better: ``actual / target × 100``; lower is better (complaints, cycle
  days): ``target / actual × 100`` (an actual of 0 against a positive target is the cap);
- the scorecard score: ``Σ w_i · min(attainment_i, cap) / Σ w_i`` over the KPIs that have both a
  target and an actual (cap 150%, so one runaway KPI cannot hide the others);
- behind: attainment against the *pro-rated* target under the threshold (80% by default). A
  measure that adds up over time (revenue, visits) is pro-rated by the elapsed share of the
  period (day 10 of a 30-day month: a third of the target); a rate or an average (win rate,
  cycle days) is compared with the whole target.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

__all__ = [
    "CAP",
    "MEASURES",
    "PERSPECTIVES",
    "Period",
    "attainment",
    "is_behind",
    "prorated_target",
    "weighted_score",
]

#: Attainment counted in the score at most (per KPI), in percent.
CAP = Decimal("150")
#: Under this share of the (pro-rated) target a KPI is behind, in percent.
BEHIND_BELOW = Decimal("80")

PERSPECTIVES = (
    ("financial", _("Financial")),
    ("customer", _("Customer")),
    ("process", _("Internal process")),
    ("learning", _("Learning and growth")),
)

UNITS = (
    ("money", _("Amount")),
    ("count", _("Count")),
    ("percent", _("Percent")),
    ("days", _("Days")),
    ("hours", _("Hours")),
    ("score", _("Score")),
)

DIRECTIONS = (("higher", _("Higher is better")), ("lower", _("Lower is better")))

PERIODS = (("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year")))


@dataclass(frozen=True)
class MeasureInfo:
    code: str
    label: object
    perspective: str
    unit: str
    direction: str
    #: Adds up over time (a sum or a count): pro-rated within a period.
    additive: bool
    help: object = ""


MEASURES: dict[str, MeasureInfo] = {
    m.code: m
    for m in (
        MeasureInfo(
            "revenue",
            _("Revenue (booked orders)"),
            "financial",
            "money",
            "higher",
            True,
            _("Totals of orders confirmed or later, not cancelled, by order date."),
        ),
        MeasureInfo(
            "collections",
            _("Collections (payments received)"),
            "financial",
            "money",
            "higher",
            True,
            _("Payments that stand (not reversed), by payment date."),
        ),
        MeasureInfo(
            "gross_margin",
            _("Gross margin"),
            "financial",
            "percent",
            "higher",
            False,
            _(
                "(line totals − quantity × product cost) ÷ line totals, over booked order lines "
                "whose product has a cost; shown only with the permission to see costs."
            ),
        ),
        MeasureInfo(
            "collection_rate",
            _("Collections vs. bookings"),
            "financial",
            "percent",
            "higher",
            False,
            _("Payments received ÷ orders booked in the period."),
        ),
        MeasureInfo(
            "new_customers",
            _("New customers"),
            "customer",
            "count",
            "higher",
            True,
            _("Customers registered in the period."),
        ),
        MeasureInfo(
            "retention_rate",
            _("Customer retention rate"),
            "customer",
            "percent",
            "higher",
            False,
            _(
                "Of the customers who bought in the previous period of the same length, the "
                "share who bought again in this one."
            ),
        ),
        MeasureInfo(
            "churn_rate",
            _("Customer churn rate"),
            "customer",
            "percent",
            "lower",
            False,
            _("100% − retention rate."),
        ),
        MeasureInfo(
            "complaints",
            _("Complaints"),
            "customer",
            "count",
            "lower",
            True,
            _("Service requests of type complaint opened in the period."),
        ),
        MeasureInfo(
            "win_rate",
            _("Opportunity win rate"),
            "process",
            "percent",
            "higher",
            False,
            _("Won ÷ (won + lost) among the opportunities closed in the period."),
        ),
        MeasureInfo(
            "sales_cycle_days",
            _("Average sales cycle"),
            "process",
            "days",
            "lower",
            False,
            _("Days from creation to close of the opportunities won in the period."),
        ),
        MeasureInfo(
            "sla_attainment",
            _("Service first responses in time"),
            "process",
            "percent",
            "higher",
            False,
            _("Share of service requests answered within the SLA, by their agent."),
        ),
        MeasureInfo(
            "first_response_hours",
            _("Average first response time"),
            "process",
            "hours",
            "lower",
            False,
            _("Hours from opening to first response of the service requests answered."),
        ),
        MeasureInfo(
            "activities",
            _("Customer contacts (calls, visits, meetings)"),
            "learning",
            "count",
            "higher",
            True,
            _("Calls, visits and meetings done in the period."),
        ),
        MeasureInfo(
            "visits",
            _("Customer visits"),
            "learning",
            "count",
            "higher",
            True,
            _("Visits done in the period."),
        ),
        MeasureInfo(
            "manual",
            _("Entered by hand"),
            "learning",
            "score",
            "higher",
            False,
            _(
                "The actual is typed on the target (training hours, satisfaction score …): "
                "for what the CRM does not record."
            ),
        ),
    )
}

MEASURE_CHOICES = [(m.code, m.label) for m in MEASURES.values()]


# --- periods -------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Period:
    """A month (1-12), quarter (1-4) or year (number 1)."""

    year: int
    number: int
    kind: str = "month"

    def __post_init__(self) -> None:
        limit = {"month": 12, "quarter": 4, "year": 1}.get(self.kind)
        if limit is None or not 1 <= self.number <= limit or not 1900 <= self.year <= 2100:
            raise ValueError(f"no such period: {self.kind} {self.year} {self.number}")

    @classmethod
    def containing(cls, day: datetime.date, kind: str = "month") -> Period:
        if kind == "year":
            return cls(day.year, 1, "year")
        if kind == "quarter":
            return cls(day.year, (day.month - 1) // 3 + 1, "quarter")
        return cls(day.year, day.month, "month")

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.kind]

    @property
    def start(self) -> datetime.date:
        month = 1 if self.kind == "year" else (self.number - 1) * self.months + 1
        return datetime.date(self.year, month, 1)

    @property
    def end(self) -> datetime.date:
        """The first day after the period."""
        return _add_months(self.start, self.months)

    def previous(self) -> Period:
        day = _add_months(self.start, -self.months)
        return Period.containing(day, self.kind)

    def last(self, n: int) -> list[Period]:
        """This period and the ``n - 1`` before it, oldest first."""
        out = [self]
        for _i in range(n - 1):
            out.append(out[-1].previous())
        return out[::-1]

    @property
    def label(self) -> str:
        if self.kind == "year":
            return f"{self.year}"
        if self.kind == "quarter":
            return f"{self.year} Q{self.number}"
        return f"{self.year}-{self.number:02d}"

    @property
    def key(self) -> str:
        """As in a URL: ``2026-03``, ``2026-Q1``, ``2026``."""
        if self.kind == "quarter":
            return f"{self.year}-Q{self.number}"
        return self.label

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2026-03``, ``2026-Q1`` or ``2026``; ``ValueError`` otherwise."""
        text = (text or "").strip().upper()
        try:
            if "-Q" in text:
                year, q = text.split("-Q", 1)
                return cls(int(year), int(q), "quarter")
            if "-" in text:
                year, month = text.split("-", 1)
                return cls(int(year), int(month), "month")
            return cls(int(text), 1, "year")
        except (TypeError, ValueError) as exc:
            raise ValueError(f"no such period: {text[:20]}") from exc

    def elapsed(self, today: datetime.date) -> Decimal:
        """The share of the period that has passed by the end of ``today`` (0 to 1)."""
        if today < self.start:
            return Decimal(0)
        if today >= self.end:
            return Decimal(1)
        days = (self.end - self.start).days
        return Decimal((today - self.start).days + 1) / Decimal(days)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return datetime.date(year, month + 1, 1)


# --- attainment and score -------------------------------------------------------------------------


def _dec(value) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def attainment(actual, target, direction: str = "higher") -> Decimal | None:
    """Percent of the target reached; ``None`` without a target or an actual."""
    actual, target = _dec(actual), _dec(target)
    if actual is None or target is None:
        return None
    if direction == "lower":
        if actual <= 0:
            return CAP if target >= 0 else None
        return (target / actual * 100).quantize(Decimal("0.1"))
    if target <= 0:
        return None
    return (actual / target * 100).quantize(Decimal("0.1"))


def prorated_target(target, *, additive: bool, elapsed: Decimal) -> Decimal | None:
    """The share of the target due by now: a sum or count pro-rated by the elapsed share of
    the period, a rate or an average as it is."""
    target = _dec(target)
    if target is None:
        return None
    return (target * elapsed).quantize(Decimal("0.0001")) if additive else target


def is_behind(
    actual, target, *, direction: str, additive: bool, elapsed: Decimal, below=BEHIND_BELOW
) -> bool:
    """Under ``below`` percent of the pro-rated target. Nothing is behind before the period
    starts, nor a KPI without actual or target."""
    if elapsed <= 0:
        return False
    due = prorated_target(target, additive=additive, elapsed=elapsed)
    reached = attainment(actual, due, direction)
    return reached is not None and reached < Decimal(below)


def weighted_score(rows) -> Decimal | None:
    """``Σ w · min(attainment, cap) / Σ w`` over ``(weight, attainment)`` pairs that have an
    attainment; ``None`` when none has."""
    total = Decimal(0)
    weights = Decimal(0)
    for weight, reached in rows:
        if reached is None or not weight:
            continue
        weight = _dec(weight)
        total += weight * min(_dec(reached), CAP)
        weights += weight
    if not weights:
        return None
    return (total / weights).quantize(Decimal("0.1"))


def ratio(num, den, scale: Decimal = Decimal(1)) -> Decimal | None:
    """``num / den × scale``, ``None`` for an empty denominator."""
    if den is None or not den:
        return None
    return (_dec(num) or Decimal(0)) * scale / _dec(den)
