"""Transactions → the per-customer summary the lifetime models take.

One pass over (customer, date, amount) rows, in Python because it must work on any CSV an
analyst brings (``kehu analytics clv --transactions``); inside the CRM the same summary comes
from a SQL aggregate over orders. Purchases on the same day count as one transaction (their
amounts summed), as in the model papers' CDNOW preparation.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["CustomerSummary", "SummaryError", "summarise"]

UNITS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12, "years": 365.25}


class SummaryError(ValueError):
    """A row the summary cannot use; ``line`` is its 1-based line in the file (header = 1)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


@dataclass
class CustomerSummary:
    customer: str
    frequency: int  # repeat purchases (distinct purchase days after the first)
    recency: float  # first → last purchase, in the time unit
    age: float  # first purchase → end of the calibration period, in the time unit
    monetary: float  # mean value of the repeat purchases (0 for one-time buyers)
    total: float  # everything the customer spent in the period


def parse_date(value: str, fmt: str | None, line: int) -> datetime.date:
    value = value.strip()
    try:
        if fmt:
            return datetime.datetime.strptime(value, fmt).date()
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        raise SummaryError(f"not a date: {value!r}", line) from None


def parse_amount(value: str, line: int) -> Decimal:
    try:
        amount = Decimal(value.strip().replace(",", ""))
    except InvalidOperation:
        raise SummaryError(f"not an amount: {value!r}", line) from None
    if not amount.is_finite():
        raise SummaryError(f"not an amount: {value!r}", line)
    return amount


def summarise(
    rows,
    *,
    customer: str,
    date: str,
    amount: str | None,
    end: datetime.date | None = None,
    unit: str = "weeks",
    date_format: str | None = None,
) -> list[CustomerSummary]:
    """Summaries from dict rows (a ``csv.DictReader``). ``end`` is the calibration end (default:
    the last date in the file); rows after it are left out. Every bad row raises with its line."""
    if unit not in UNITS:
        raise SummaryError(f"unit must be one of {', '.join(UNITS)}")
    days: dict[str, dict[datetime.date, Decimal]] = {}
    last_seen: datetime.date | None = None
    for line, row in enumerate(rows, start=2):
        try:
            key = (row[customer] or "").strip()
            raw_date = row[date] or ""
            raw_amount = row[amount] if amount else "0"
        except KeyError as exc:
            raise SummaryError(f"no column {exc.args[0]!r} in the file") from None
        if not key:
            raise SummaryError("no customer id", line)
        day = parse_date(raw_date, date_format, line)
        value = parse_amount(raw_amount or "0", line)
        if end is not None and day > end:
            continue
        per_day = days.setdefault(key, {})
        per_day[day] = per_day.get(day, Decimal(0)) + value
        last_seen = day if last_seen is None or day > last_seen else last_seen
    if not days:
        raise SummaryError("no transactions in the file (or none before the end date)")
    end = end or last_seen
    scale = UNITS[unit]
    out = []
    for key, per_day in days.items():
        ordered = sorted(per_day)
        first, last = ordered[0], ordered[-1]
        repeats = [per_day[d] for d in ordered[1:]]
        out.append(
            CustomerSummary(
                customer=key,
                frequency=len(repeats),
                recency=(last - first).days / scale,
                age=(end - first).days / scale,
                monetary=float(sum(repeats) / len(repeats)) if repeats else 0.0,
                total=float(sum(per_day.values())),
            )
        )
    return out
