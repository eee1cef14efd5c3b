"""RFM scores and segments, and ABC (80/20) value tiers — computed by the database.

One SQL text over a relation of purchases ``(customer, day, amount)``: inside the CRM that
relation is the restricted orders queryset (so a manager's RFM covers their data scope and no
more), for ``kehu analytics rfm FILE`` it is the CSV loaded into an in-memory SQLite table. The
aggregation and the ranking run in SQL on PostgreSQL and SQLite alike; Python only reads one
row per customer.

Scores are quintiles of the rank (``PERCENT_RANK``), so equal values get equal scores — most
customers with one order all score F = 1, instead of being spread over tiles at random as
``NTILE`` would. R ranks the last purchase day (the most recent scores 5), F the number of
distinct purchase days, M the amount. Segments follow the common R × FM grid (FM the rounded
mean of F and M), named as practitioners name them.
"""

from __future__ import annotations

import datetime
import sqlite3
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "SEGMENTS",
    "AbcRow",
    "RfmRow",
    "abc_sql",
    "abc_tiers",
    "rfm_members",
    "rfm_segments",
    "rfm_sql",
    "segment_for",
]


def _score(column: str) -> str:
    rank = f"PERCENT_RANK() OVER (ORDER BY {column})"
    return (
        f"CASE WHEN {rank} >= 0.8 THEN 5 WHEN {rank} >= 0.6 THEN 4 "
        f"WHEN {rank} >= 0.4 THEN 3 WHEN {rank} >= 0.2 THEN 2 ELSE 1 END"
    )


#: One row per customer: last day, distinct purchase days, amount, and the three scores.
RFM_SQL = f"""
SELECT customer, last_day, frequency, monetary,
       {_score("last_day")} AS r, {_score("frequency")} AS f, {_score("monetary")} AS m
FROM (
    SELECT customer, MAX(day) AS last_day, COUNT(DISTINCT day) AS frequency,
           SUM(amount) AS monetary
    FROM ({{source}}) purchases
    GROUP BY customer
) per_customer
"""

#: One row per customer with the cumulative share of the total before it (largest first).
ABC_SQL = """
SELECT customer, monetary,
       SUM(monetary) OVER (ORDER BY monetary DESC, customer ROWS UNBOUNDED PRECEDING)
           - monetary AS before,
       SUM(monetary) OVER () AS total,
       ROW_NUMBER() OVER (ORDER BY monetary DESC, customer) AS position
FROM (
    SELECT customer, SUM(amount) AS monetary FROM ({source}) purchases GROUP BY customer
) per_customer
ORDER BY monetary DESC, customer
"""

#: (name, test on r and fm) in order: the first that holds names the customer.
SEGMENTS = (
    ("champions", lambda r, fm: r >= 4 and fm >= 4),
    ("loyal", lambda r, fm: r >= 3 and fm >= 4),
    ("potential_loyalists", lambda r, fm: r >= 4 and fm >= 2),
    ("new", lambda r, fm: r >= 4),
    ("need_attention", lambda r, fm: r == 3 and fm >= 2),
    ("about_to_sleep", lambda r, fm: r == 3),
    ("cant_lose", lambda r, fm: r == 1 and fm >= 4),
    ("at_risk", lambda r, fm: r <= 2 and fm >= 3),
    ("hibernating", lambda r, fm: r == 2),
    ("lost", lambda r, fm: True),
)


def segment_for(r: int, f: int, m: int) -> str:
    fm = int(Decimal(f + m) / 2 + Decimal("0.5"))  # half up: (3 + 4) / 2 → 4
    return next(name for name, test in SEGMENTS if test(r, fm))


@dataclass
class RfmRow:
    customer: object
    last_day: datetime.date
    frequency: int
    monetary: Decimal
    r: int
    f: int
    m: int
    segment: str
    recency_days: int = 0


@dataclass
class AbcRow:
    customer: object
    monetary: Decimal
    share: float  # of the total
    cumulative: float  # share of the total up to and including this customer
    tier: str  # A, B or C


def _day(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def rfm_sql(cursor, source: str, params, *, as_of: datetime.date | None = None) -> list[RfmRow]:
    """RFM over ``source`` (SQL selecting customer, day, amount) with ``params``. Recency in
    days is counted to ``as_of`` (default: the last purchase day in the data)."""
    cursor.execute(RFM_SQL.format(source=source), params)
    rows = []
    for customer, last_day, frequency, monetary, r, f, m in cursor.fetchall():
        rows.append(
            RfmRow(
                customer=customer,
                last_day=_day(last_day),
                frequency=int(frequency),
                monetary=Decimal(str(monetary or 0)),
                r=int(r),
                f=int(f),
                m=int(m),
                segment=segment_for(int(r), int(f), int(m)),
            )
        )
    end = as_of or max((row.last_day for row in rows), default=None)
    for row in rows:
        row.recency_days = (end - row.last_day).days if end else 0
    return rows


def abc_sql(cursor, source: str, params, *, a: float = 0.8, b: float = 0.95) -> list[AbcRow]:
    """ABC tiers: customers, largest first, are A while the share before them is under ``a``
    (so the customer who crosses 80 % is still A), B under ``b``, C after."""
    cursor.execute(ABC_SQL.format(source=source), params)
    rows = []
    for customer, monetary, before, total, _position in cursor.fetchall():
        monetary = Decimal(str(monetary or 0))
        total = Decimal(str(total or 0))
        before = Decimal(str(before or 0))
        share_before = float(before / total) if total else 0.0
        tier = "A" if share_before < a else "B" if share_before < b else "C"
        rows.append(
            AbcRow(
                customer=customer,
                monetary=monetary,
                share=float(monetary / total) if total else 0.0,
                cumulative=float((before + monetary) / total) if total else 0.0,
                tier=tier,
            )
        )
    return rows


def load_purchases(purchases) -> sqlite3.Connection:
    """An in-memory SQLite table ``purchases(customer, day, amount)`` from (customer, date,
    amount) tuples: how a CSV gets the same SQL as the CRM's orders. Amounts are REAL there
    (SQLite has no decimal type); the command prints them to the cent."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE purchases (customer TEXT, day TEXT, amount REAL)")
    conn.executemany(
        "INSERT INTO purchases VALUES (?, ?, ?)",
        ((c, d.isoformat(), float(a)) for c, d, a in purchases),
    )
    return conn


# --- summaries for pages: a few rows back from the database, whatever the customer count ----


@dataclass
class SegmentSummary:
    segment: str
    customers: int = 0
    monetary: Decimal = Decimal(0)
    cells: list[tuple[int, int, int]] = None  # the (r, f, m) combinations it holds

    @property
    def average(self) -> Decimal:
        return self.monetary / self.customers if self.customers else Decimal(0)


def rfm_segments(cursor, source: str, params) -> list[SegmentSummary]:
    """Customers and amount per segment, from the 125-cell R × F × M grid the database groups
    (one row per cell, not per customer), in the order of :data:`SEGMENTS`."""
    grid = f"SELECT r, f, m, COUNT(*), SUM(monetary) FROM ({RFM_SQL.format(source=source)}) s "
    cursor.execute(grid + "GROUP BY r, f, m", params)
    out = {name: SegmentSummary(name, cells=[]) for name, _ in SEGMENTS}
    for r, f, m, count, monetary in cursor.fetchall():
        row = out[segment_for(int(r), int(f), int(m))]
        row.customers += int(count)
        row.monetary += Decimal(str(monetary or 0))
        row.cells.append((int(r), int(f), int(m)))
    return list(out.values())


def rfm_members(
    cursor, source: str, params, cells: list[tuple[int, int, int]], *, limit: int = 100
) -> list[RfmRow]:
    """The customers of the given grid cells (one segment), largest amount first."""
    if not cells:
        return []
    where = " OR ".join("(r = %s AND f = %s AND m = %s)" for _ in cells)
    sql = (
        f"SELECT * FROM ({RFM_SQL.format(source=source)}) s WHERE {where} "
        f"ORDER BY monetary DESC, customer LIMIT {int(limit)}"
    )
    flat = [v for cell in cells for v in cell]
    return rfm_sql_rows(cursor, sql, (*params, *flat))


def rfm_sql_rows(cursor, sql: str, params) -> list[RfmRow]:
    cursor.execute(sql, params)
    return [
        RfmRow(
            customer=c,
            last_day=_day(day),
            frequency=int(f_),
            monetary=Decimal(str(mon or 0)),
            r=int(r),
            f=int(f),
            m=int(m),
            segment=segment_for(int(r), int(f), int(m)),
        )
        for c, day, f_, mon, r, f, m in cursor.fetchall()
    ]


@dataclass
class TierSummary:
    tier: str
    customers: int
    monetary: Decimal
    customer_share: float
    amount_share: float


def abc_tiers(cursor, source: str, params, *, a: float = 0.8, b: float = 0.95, points: int = 50):
    """Per tier: customers and amount; and the Pareto curve as ``points`` (customer share,
    cumulative amount share) pairs — both computed by the database."""
    abc = ABC_SQL.format(source=source)
    tier = f"CASE WHEN before < {float(a)} * total THEN 'A' WHEN before < {float(b)} * total THEN 'B' ELSE 'C' END"
    cursor.execute(
        f"SELECT {tier} AS tier, COUNT(*), SUM(monetary), MAX(total) FROM ({abc}) s GROUP BY 1",
        params,
    )
    rows = {
        t: (int(n), Decimal(str(mon or 0)), Decimal(str(tot or 0)))
        for t, n, mon, tot in cursor.fetchall()
    }
    customers = sum(n for n, _, _ in rows.values())
    total = next((tot for _, _, tot in rows.values()), Decimal(0))
    tiers = [
        TierSummary(
            t,
            rows.get(t, (0, Decimal(0), 0))[0],
            rows.get(t, (0, Decimal(0), 0))[1],
            rows.get(t, (0,))[0] / customers if customers else 0.0,
            float(rows.get(t, (0, Decimal(0), 0))[1] / total) if total else 0.0,
        )
        for t in "ABC"
    ]
    curve = [(0.0, 0.0)]
    if customers:
        step = max(customers // points, 1)
        cursor.execute(
            f"SELECT position, before + monetary, total FROM ({abc}) s "
            f"WHERE position - {step} * (position / {step}) = 0 OR position = {customers} "
            "ORDER BY position",
            params,
        )
        curve += [
            (int(pos) / customers, float(Decimal(str(cum)) / Decimal(str(tot))) if tot else 0.0)
            for pos, cum, tot in cursor.fetchall()
        ]
    return tiers, curve


def segment_labels() -> dict:
    """The segments' names and what to do with them, in the reader's language."""
    from django.utils.translation import gettext_lazy as _
    from django.utils.translation import pgettext_lazy

    return {
        "champions": (_("Champions"), _("Bought recently, often and much: reward them.")),
        "loyal": (_("Loyal"), _("Buy often and much: offer more (up-sell).")),
        "potential_loyalists": (
            _("Potential loyalists"),
            _("Recent, middling frequency or amount: build the relationship."),
        ),
        "new": (_("New customers"), _("First purchases lately: welcome them.")),
        "need_attention": (_("Need attention"), _("Middling on all three: a personal call.")),
        "about_to_sleep": (_("About to sleep"), _("Fading and small: a reason to come back.")),
        "cant_lose": (_("Can't lose them"), _("Were the best, gone quiet: win them back now.")),
        "at_risk": (_("At risk"), _("Valuable but long ago: a win-back offer.")),
        "hibernating": (_("Hibernating"), _("Long ago, little: low-cost reminders.")),
        "lost": (
            pgettext_lazy("RFM segment", "Lost"),
            _("Longest ago, least: only if cheap to reach."),
        ),
    }
