"""Multi-dimensional sales reports (多维报表): a measure by a row dimension and, optionally, a
column dimension, over the booked order lines the reader may see.

"Revenue by region by quarter for my department" is a GROUP BY the database answers: the base is
the order lines of booked orders in the reader's restricted queryset
(``SalesOrder.objects.visible_to``), so the report shows exactly what the order list would. Four
queries whatever the data size — the cells, the row totals, the column totals and the grand
total — because distinct counts (orders, customers) do not add up across cells.

Drill-down is a filter on a dimension's value plus the next dimension of a path (year → quarter
→ month, department → owner → customer, category → product → customer …), all in the URL, so
a report is bookmarked, shared or exported as it is shown.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncQuarter, TruncYear
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.errors import BadInput
from kehu.customers.models import Customer
from kehu.sales.models.orders import BOOKED_STATUSES, SalesOrder, SalesOrderLine

__all__ = ["DIMENSIONS", "MEASURES", "Pivot", "PivotRequest", "run_pivot"]

MAX_ROWS = 60
MAX_COLUMNS = 12


@dataclass(frozen=True)
class Measure:
    code: str
    label: str
    aggregate: Callable[[], object]
    money: bool = False


@dataclass(frozen=True)
class Dimension:
    code: str
    label: str
    path: object  # a field path from the order line, or a date truncation of one
    time: bool = False
    kind: str = "text"  # "text", "date", "fk"
    #: The dimension a click on one of its values opens next.
    drill: str = ""


MEASURES = {
    m.code: m
    for m in (
        Measure("revenue", gettext_lazy("Revenue"), lambda: Sum("line_total"), money=True),
        Measure("orders", gettext_lazy("Orders"), lambda: Count("order", distinct=True)),
        Measure(
            "customers",
            gettext_lazy("Buying customers"),
            lambda: Count("order__customer", distinct=True),
        ),
        Measure("quantity", gettext_lazy("Quantity"), lambda: Sum("quantity")),
    )
}

DIMENSIONS = {
    d.code: d
    for d in (
        Dimension(
            "year", gettext_lazy("Year"), TruncYear("order__order_date"), True, "date", "quarter"
        ),
        Dimension(
            "quarter",
            gettext_lazy("Quarter"),
            TruncQuarter("order__order_date"),
            True,
            "date",
            "month",
        ),
        Dimension(
            "month", gettext_lazy("Month"), TruncMonth("order__order_date"), True, "date", "owner"
        ),
        Dimension("city", gettext_lazy("City"), "order__customer__city", drill="customer"),
        Dimension("industry", gettext_lazy("Industry"), "order__customer__industry", drill="city"),
        Dimension(
            "level", gettext_lazy("Customer level"), "order__customer__level", drill="customer"
        ),
        Dimension("kind", gettext_lazy("Customer kind"), "order__customer__kind", drill="industry"),
        Dimension(
            "department", gettext_lazy("Department"), "order__department", kind="fk", drill="owner"
        ),
        Dimension("owner", gettext_lazy("Owner"), "order__owner", kind="fk", drill="customer"),
        Dimension(
            "category",
            gettext_lazy("Product category"),
            "product__category",
            kind="fk",
            drill="product",
        ),
        Dimension("product", gettext_lazy("Product"), "product", kind="fk", drill="customer"),
        Dimension(
            "customer", gettext_lazy("Customer"), "order__customer", kind="fk", drill="month"
        ),
    )
}


@dataclass
class PivotRequest:
    measure: str = "revenue"
    rows: str = "quarter"
    columns: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    #: Drill-down filters: (dimension code, value as in the URL).
    filters: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def from_query(cls, query) -> PivotRequest:
        """Read and check the URL's parameters; anything unknown or malformed is a 400."""
        measure = query.get("measure") or "revenue"
        rows = query.get("rows") or "quarter"
        columns = query.get("columns") or ""
        if measure not in MEASURES:
            raise BadInput(_("Unknown measure: %(code)s") % {"code": measure[:40]})
        for code in (rows, columns):
            if code and code not in DIMENSIONS:
                raise BadInput(_("Unknown dimension: %(code)s") % {"code": code[:40]})
        if columns == rows:
            columns = ""
        filters = []
        for key in query:
            if key.startswith("f_"):
                code = key[2:]
                if code not in DIMENSIONS:
                    raise BadInput(_("Unknown dimension: %(code)s") % {"code": code[:40]})
                filters.extend((code, value[:200]) for value in query.getlist(key))
        return cls(
            measure,
            rows,
            columns,
            _date(query.get("from")),
            _date(query.get("to")),
            filters,
        )


def _date(text: str | None) -> datetime.date | None:
    if not text:
        return None
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise BadInput(_("Not a date: %(text)s") % {"text": text[:20]}) from None
    if not 1900 <= day.year <= 2100:
        raise BadInput(_("Dates must lie between 1900 and 2100."))
    return day


def _typed(dimension: Dimension, value: str):
    if value == "":
        return None
    if dimension.kind == "date":
        return _date(value)
    if dimension.kind == "fk":
        try:
            return int(value)
        except ValueError:
            raise BadInput(_("Not a number: %(text)s") % {"text": value[:20]}) from None
    return value


def base_lines(user, request: PivotRequest) -> QuerySet:
    """The order lines the report reads: booked orders in the reader's scope, in the period,
    narrowed by the drill-down filters."""
    orders = SalesOrder.objects.visible_to(user).filter(status__in=BOOKED_STATUSES)
    if request.date_from:
        orders = orders.filter(order_date__gte=request.date_from)
    if request.date_to:
        orders = orders.filter(order_date__lte=request.date_to)
    qs = SalesOrderLine.objects.filter(order__in=orders.values("pk")).order_by()
    for i, (code, value) in enumerate(request.filters):
        dim = DIMENSIONS[code]
        typed = _typed(dim, value)
        alias = f"_f{i}"
        qs = qs.annotate(**{alias: _expr(dim)})
        if typed is None:
            blank = Q(**{f"{alias}__isnull": True})
            qs = qs.filter(blank | Q(**{alias: ""}) if dim.kind == "text" else blank)
        else:
            qs = qs.filter(**{alias: typed})
    return qs


def _expr(dim: Dimension):
    return F(dim.path) if isinstance(dim.path, str) else dim.path


@dataclass
class Pivot:
    request: PivotRequest
    measure: Measure
    row_dim: Dimension
    col_dim: Dimension | None
    rows: list[tuple[object, str]]  # (value, label)
    columns: list[tuple[object, str]]
    cells: dict[tuple, object]
    row_totals: dict[object, object]
    column_totals: dict[object, object]
    total: object
    rows_cut: int = 0
    columns_cut: int = 0

    def column_total_list(self) -> list:
        return [self.column_totals.get(c) for c, _l in self.columns]

    def table(self) -> list[dict]:
        """Rows for the template: label, value (for drill links), cells in column order."""
        return [
            {
                "value": value,
                "label": label,
                "cells": [self.cells.get((value, c)) for c, _l in self.columns],
                "total": self.row_totals.get(value),
            }
            for value, label in self.rows
        ]


def run_pivot(user, request: PivotRequest) -> Pivot:
    measure = MEASURES[request.measure]
    row_dim = DIMENSIONS[request.rows]
    col_dim = DIMENSIONS[request.columns] if request.columns else None
    qs = base_lines(user, request).annotate(_row=_expr(row_dim))
    value = measure.aggregate
    row_totals = {r["_row"]: r["m"] for r in qs.values("_row").annotate(m=value())}
    total = qs.aggregate(m=value())["m"]
    row_keys = _ordered(row_totals, row_dim)
    rows_cut = max(0, len(row_keys) - MAX_ROWS)
    row_keys = row_keys[:MAX_ROWS]
    cells: dict[tuple, object] = {}
    column_totals: dict[object, object] = {}
    col_keys: list = []
    columns_cut = 0
    if col_dim is not None:
        qc = qs.annotate(_col=_expr(col_dim))
        column_totals = {r["_col"]: r["m"] for r in qc.values("_col").annotate(m=value())}
        col_keys = _ordered(column_totals, col_dim)
        columns_cut = max(0, len(col_keys) - MAX_COLUMNS)
        col_keys = col_keys[:MAX_COLUMNS]
        wanted = set(col_keys)
        for r in qc.values("_row", "_col").annotate(m=value()):
            if r["_col"] in wanted:
                cells[(r["_row"], r["_col"])] = r["m"]
    labels = dimension_labels(row_dim, row_keys)
    col_labels = dimension_labels(col_dim, col_keys) if col_dim else {}
    return Pivot(
        request=request,
        measure=measure,
        row_dim=row_dim,
        col_dim=col_dim,
        rows=[(k, labels[k]) for k in row_keys],
        columns=[(k, col_labels[k]) for k in col_keys],
        cells=cells,
        row_totals=row_totals,
        column_totals=column_totals,
        total=total,
        rows_cut=rows_cut,
        columns_cut=columns_cut,
    )


def _ordered(totals: dict, dim: Dimension) -> list:
    """Time in calendar order; anything else largest first (then by value, for stability)."""
    if dim.time:
        return sorted(totals, key=lambda k: (k is None, k or datetime.date.min))
    return sorted(totals, key=lambda k: (-(totals[k] or 0), str(k)))


def dimension_labels(dim: Dimension, keys: list) -> dict:
    """Each value's label in the reader's language: dates as periods, choices as their labels,
    records by name (one query per dimension)."""
    none = _("(none)")
    if dim.kind == "date":
        return {k: _period(dim.code, k) if k else none for k in keys}
    if dim.kind == "fk":
        model = _related_model(dim)
        names = model.objects.in_bulk([k for k in keys if k is not None])
        return {k: str(names[k]) if k in names else none for k in keys}
    field_name = dim.path.rsplit("__", 1)[-1]
    choices = dict(Customer._meta.get_field(field_name).flatchoices or ())
    return {k: str(choices.get(k, k)) if k else none for k in keys}


def _related_model(dim: Dimension):
    model = SalesOrderLine
    for part in dim.path.split("__"):
        model = model._meta.get_field(part).related_model
    return model


def _period(code: str, day) -> str:
    if isinstance(day, datetime.datetime):
        day = day.date()
    if code == "year":
        return str(day.year)
    if code == "quarter":
        return _("%(year)s Q%(quarter)s") % {"year": day.year, "quarter": (day.month - 1) // 3 + 1}
    return date_format(day, "YEAR_MONTH_FORMAT")


def url_value(value) -> str:
    """A dimension value as written in a drill-down link."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def as_number(value) -> float:
    if value is None:
        return 0.0
    return float(value) if isinstance(value, Decimal | int | float) else 0.0
