"""What ``kehu analytics clv`` does with a file: read it, fit, and shape the result.

Kept apart from the management command so the command stays argument parsing and printing,
and a test can call :func:`run_clv` on a file directly.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .clv import BgNbd, GammaGamma, ModelFitError, clv, fit_bgnbd, fit_gamma_gamma
from .summary import CustomerSummary, SummaryError, parse_amount, parse_date, summarise

__all__ = ["ClvResult", "purchase_rows", "read_baskets", "read_csv", "run_clv"]


def read_csv(path: Path) -> list[dict]:
    """Rows of a CSV in UTF-8 (with or without BOM) or GB18030 (Excel's Chinese exports)."""
    return list(csv.DictReader(io.StringIO(_text(path))))


def purchase_rows(rows, *, customer: str, date: str, amount: str, date_format=None):
    """(customer, date, Decimal) per CSV row, every bad row named by its line."""
    out = []
    for line, row in enumerate(rows, start=2):
        try:
            key, raw_date, raw_amount = row[customer], row[date], row[amount]
        except KeyError as exc:
            raise SummaryError(f"no column {exc.args[0]!r} in the file") from None
        if not (key or "").strip():
            raise SummaryError("no customer id", line)
        out.append(
            (
                key.strip(),
                parse_date(raw_date or "", date_format, line),
                parse_amount(raw_amount or "0", line),
            )
        )
    if not out:
        raise SummaryError("no transactions in the file")
    return out


def _text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def read_baskets(
    *, baskets: Path | None, lines: Path | None, basket_column: str, item_column: str
) -> list[set[str]]:
    """Baskets from a file of one basket a line (comma-separated items, blanks ignored) or
    from a CSV of (basket, item) rows, the baskets in order of first appearance."""
    if baskets is not None:
        out = []
        for row in csv.reader(io.StringIO(_text(baskets))):
            items = {item.strip() for item in row if item.strip()}
            if items:
                out.append(items)
    else:
        grouped: dict[str, set[str]] = {}
        for line, row in enumerate(read_csv(lines), start=2):
            try:
                key, item = (row[basket_column] or "").strip(), (row[item_column] or "").strip()
            except KeyError as exc:
                raise SummaryError(f"no column {exc.args[0]!r} in the file") from None
            if not key or not item:
                raise SummaryError("a basket id and an item are needed", line)
            grouped.setdefault(key, set()).add(item)
        out = list(grouped.values())
    if not out:
        raise SummaryError("no baskets in the file")
    return out


def sequence_rows(
    path: Path, *, customer: str, date: str, item: str, date_format=None
) -> list[tuple[str, datetime.date, str]]:
    """(customer, date, item) per CSV row, for sequential patterns; a bad row named by line."""
    out = []
    for line, row in enumerate(read_csv(path), start=2):
        try:
            key, raw_date, thing = row[customer], row[date], row[item]
        except KeyError as exc:
            raise SummaryError(f"no column {exc.args[0]!r} in the file") from None
        key, thing = (key or "").strip(), (thing or "").strip()
        if not key or not thing:
            raise SummaryError("a customer id and an item are needed", line)
        out.append((key, parse_date(raw_date or "", date_format, line), thing))
    if not out:
        raise SummaryError("no purchases in the file")
    return out


@dataclass
class ClvResult:
    customers: list[CustomerSummary]
    model: BgNbd
    spend: GammaGamma | None
    alive: np.ndarray
    expected: np.ndarray
    value: np.ndarray | None
    horizon: float


def _summary_rows(rows: list[dict], columns: dict) -> list[CustomerSummary]:
    out = []
    for line, row in enumerate(rows, start=2):
        try:
            out.append(
                CustomerSummary(
                    customer=row[columns["id"]],
                    frequency=int(float(row[columns["frequency"]])),
                    recency=float(row[columns["recency"]]),
                    age=float(row[columns["age"]]),
                    monetary=float(row[columns["monetary"]] or 0) if columns["monetary"] else 0,
                    total=0.0,
                )
            )
        except KeyError as exc:
            raise SummaryError(f"no column {exc.args[0]!r} in the file") from None
        except ValueError:
            raise SummaryError("frequency, recency, age and spend must be numbers", line) from None
    return out


def run_clv(
    *,
    transactions: Path | None = None,
    summary: Path | None = None,
    columns: dict,
    end: datetime.date | None = None,
    unit: str = "weeks",
    date_format: str | None = None,
    horizon: float = 52.0,
    periods: int = 12,
    discount_rate: float = 0.01,
    margin: float = 1.0,
) -> ClvResult:
    """Fit BG/NBD (and Gamma-Gamma when there is a spend column) to a transactions or a summary
    file; expected purchases and P(alive) over ``horizon`` time units, CLV over ``periods``
    equal periods of that horizon, discounted at ``discount_rate`` per period."""
    if (transactions is None) == (summary is None):
        raise SummaryError("give either a transactions file or a summary file")
    if transactions is not None:
        people = summarise(
            read_csv(transactions),
            customer=columns["customer"],
            date=columns["date"],
            amount=columns.get("amount"),
            end=end,
            unit=unit,
            date_format=date_format,
        )
        has_spend = bool(columns.get("amount"))
    else:
        people = _summary_rows(read_csv(summary), columns)
        has_spend = bool(columns.get("monetary"))
    x = [p.frequency for p in people]
    t_x = [p.recency for p in people]
    age = [p.age for p in people]
    model = fit_bgnbd(x, t_x, age)
    spend = value = None
    if has_spend:
        money = [p.monetary for p in people]
        try:
            spend = fit_gamma_gamma(x, money)
        except ModelFitError:
            spend = None  # no repeat buyers: purchases only, said in the output
        if spend is not None and spend.q > 1:
            value = clv(
                model,
                spend,
                x,
                t_x,
                age,
                money,
                periods=periods,
                period_length=horizon / periods,
                discount_rate=discount_rate,
                margin=margin,
            )
    return ClvResult(
        customers=people,
        model=model,
        spend=spend,
        alive=model.probability_alive(x, t_x, age),
        expected=model.expected_purchases(horizon, x, t_x, age),
        value=value,
        horizon=horizon,
    )


def as_json(result: ClvResult) -> dict:
    rows = []
    for i, person in enumerate(result.customers):
        rows.append(
            {
                "customer": person.customer,
                "frequency": person.frequency,
                "recency": person.recency,
                "age": person.age,
                "monetary": person.monetary,
                "p_alive": round(float(result.alive[i]), 6),
                "expected_purchases": round(float(result.expected[i]), 6),
                "clv": None if result.value is None else round(float(result.value[i]), 4),
            }
        )
    spend = result.spend
    return {
        "bgnbd": {
            **result.model.params(),
            "log_likelihood": result.model.log_likelihood,
            "converged": result.model.converged,
            "customers": result.model.customers,
        },
        "gamma_gamma": None
        if spend is None
        else {
            **spend.params(),
            "log_likelihood": spend.log_likelihood,
            "converged": spend.converged,
            "customers": spend.customers,
            "notes": spend.notes,
        },
        "horizon": result.horizon,
        "customers": rows,
    }
