"""Keyset (cursor) pagination for list pages: constant cost on page 1 and page 20,000 alike.

No ``COUNT(*)`` over the table: the page shows "1,000+" style counts from a capped count, and
navigates with an opaque cursor holding the last row's (sort value, id).
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import math
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import CharField, F, Field, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat
from django.utils import timezone

COUNT_CAP = 1_000

#: Ids and integers a cursor may carry: what a 64-bit column holds.
_BIGINT = 2**63 - 1


def encode_cursor(sort: str, key, pk: int) -> str:
    """The opaque token of the list pages (``?after=`` / ``?before=``) and of the API
    (``?cursor=a…`` / ``?cursor=b…``): base64 of ``{"s": sort, "k": [key, id]}``."""
    if isinstance(key, datetime.datetime):  # all of it: DjangoJSONEncoder cuts microseconds,
        key = key.isoformat()  # and rows of the same millisecond were skipped (audit trail)
    raw = json.dumps({"s": sort, "k": [key, pk]}, cls=DjangoJSONEncoder, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _is_plain(value) -> bool:
    """A JSON value a real cursor can hold: no NUL (PostgreSQL refuses it in text), no
    infinity (``1e999999``), no integer wider than a database column."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, int):
        return -_BIGINT <= value <= _BIGINT
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_is_plain(v) for v in value)
    return False


def decode_cursor(token: str | None, sort: str) -> tuple | None:
    """``(key, id)`` of a token made by ``encode_cursor`` for this ``sort``, else ``None``.

    A hand-edited, truncated or foreign token (another list's sort, random base64, NUL bytes,
    huge numbers) is not an error: the list starts from its first page, in the UI and the API
    alike. The key is still raw JSON; ``keyset_page`` converts it for the sort field."""
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, RecursionError):  # binascii, UnicodeDecode, JSON errors
        return None
    if not isinstance(data, dict) or data.get("s") != sort:
        return None
    key = data.get("k")
    if not isinstance(key, list) or len(key) != 2 or not _is_plain(key):
        return None
    value, pk = key
    if not isinstance(pk, int) or isinstance(pk, bool):
        return None
    return value, pk


def _field_value(field: Field, value):
    """A cursor's sort value in the field's type, or ``ValueError`` when it cannot be one."""
    if value is None:
        if not field.null:
            raise ValueError("NULL for a NOT NULL column")
        return None
    if isinstance(value, list):
        raise ValueError("not a scalar")
    try:
        value = field.to_python(value)
        if isinstance(value, datetime.datetime):
            if timezone.is_naive(value):
                value = timezone.make_aware(value)
            value = value.astimezone(datetime.UTC)  # out of range → OverflowError here
        if isinstance(value, decimal.Decimal) and not value.is_finite():
            raise ValueError("not a finite number")
    except (ValidationError, TypeError, OverflowError, ArithmeticError) as exc:
        raise ValueError(str(exc)) from exc
    return value


#: Annotation names of a custom-field sort (``sort=custom.<code>``).
EMPTY, VALUE = "_sort_empty", "_sort_value"


def custom_sort(qs: QuerySet, field: str, *, annotate: bool = True):
    """``qs`` with the ``(empty, value)`` sort keys of custom field ``custom.<code>`` and its
    definition; ``None`` when the model has no such active field."""
    from .customfields import definition, is_opted_in, sort_expressions

    if not is_opted_in(qs.model):
        return None
    defn = definition(qs.model, field.removeprefix("custom."))
    if defn is None or not defn.is_active:
        return None
    empty, value = sort_expressions(defn)
    add = qs.annotate if annotate else qs.alias
    return add(**{EMPTY: empty, VALUE: value}), defn


def _nullable(qs: QuerySet, field: str) -> bool:
    return field != "pk" and qs.model._meta.get_field(field).null


def order_for_sort(qs: QuerySet, sort: str) -> QuerySet:
    """``qs`` in a list's sort order (``sort``: a field, ``custom.<code>`` or ``pk``, ``-`` for
    descending), ties by id, empty values last: what exports use to follow the list page."""
    desc = sort.startswith("-")
    field = sort.lstrip("-") or "pk"
    prefix = "-" if desc else ""
    if field == "pk":
        return qs.order_by(f"{prefix}pk")
    if field.startswith("custom."):
        found = custom_sort(qs, field, annotate=False)
        if found is None:
            return qs.order_by(f"{prefix}pk")
        return found[0].order_by(EMPTY, f"{prefix}{VALUE}", f"{prefix}pk")
    if _nullable(qs, field):
        col = F(field).desc(nulls_last=True) if desc else F(field).asc(nulls_last=True)
        return qs.order_by(col, f"{prefix}pk")
    return qs.order_by(f"{prefix}{field}", f"{prefix}pk")


def _after_custom(empty_desc: bool, desc: bool, key, pk) -> Q:
    """Rows after (empty flag, value, id) in the order (empty, value, id)."""
    flag, value = key
    f_op = "lt" if empty_desc else "gt"
    op = "lt" if desc else "gt"
    after = Q(**{f"{EMPTY}__{f_op}": flag}) | Q(**{EMPTY: flag, f"pk__{op}": pk})
    if flag == 0 and value is not None:
        after = (
            Q(**{f"{EMPTY}__{f_op}": flag})
            | Q(**{EMPTY: flag, f"{VALUE}__{op}": value})
            | Q(**{EMPTY: flag, VALUE: value, f"pk__{op}": pk})
        )
    return after


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    prev_cursor: str | None
    is_first: bool
    count: int
    count_capped: bool


def _after(field: str, desc: bool, value, pk) -> Q:
    """Rows after (value, id) in the order (field, id). The ``>=`` bound on the field alone
    lets the database start an index range scan at the cursor instead of filtering up to it."""
    op, bound = ("lt", "lte") if desc else ("gt", "gte")
    if field == "pk":
        return Q(**{f"pk__{op}": pk})
    return Q(**{f"{field}__{bound}": value}) & (
        Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk})
    )


def _text_order(qs: QuerySet, field: str, desc: bool):
    """``field`` as an expression the planner cannot read from the field's index: the order of
    a few thousand rows found through the filters' indexes, sorted in memory (see
    ``keyset_page``'s ``small``)."""
    expr = Concat(F(field), Value(""), output_field=qs.model._meta.get_field(field))
    return expr.desc() if desc else expr.asc()


def _segments(
    qs: QuerySet, field: str, desc: bool, reverse: bool, cursor, small: bool = False
) -> list[QuerySet]:
    """The querysets which, read one after the other, list the rows after ``cursor``.

    Empty (NULL) values come last in both directions, on SQLite (which sorts NULL first) and
    PostgreSQL (which sorts it last ascending, first descending) alike. Rather than one
    ``NULLS LAST`` query, which neither database can serve from its (field, id) index in both
    directions, a nullable column reads in two segments: its values in (field, id) order, then
    its empty rows in id order; each one is a plain range scan of an index. ``reverse`` (going
    back with ``before``, or to the last page) reads the same sequence backwards."""
    d = desc != reverse
    prefix = "-" if d else ""
    if field == "pk":
        base = qs.order_by(f"{prefix}pk")
        return [base.filter(_after("pk", d, None, cursor[1])) if cursor else base]
    if not _nullable(qs, field):
        text = isinstance(qs.model._meta.get_field(field), CharField | TextField)
        order = _text_order(qs, field, d) if small and text else f"{prefix}{field}"
        base = qs.order_by(order, f"{prefix}pk")
        return [base.filter(_after(field, d, *cursor)) if cursor else base]
    values = qs.filter(**{f"{field}__isnull": False}).order_by(f"{prefix}{field}", f"{prefix}pk")
    empties = qs.filter(**{f"{field}__isnull": True}).order_by(f"{prefix}pk")
    segments = (
        [("empty", empties), ("value", values)]
        if reverse
        else [
            ("value", values),
            ("empty", empties),
        ]
    )
    if cursor:
        value, pk = cursor
        where = "empty" if value is None else "value"
        while segments[0][0] != where:
            segments.pop(0)
        after = _after("pk", d, None, pk) if value is None else _after(field, d, value, pk)
        segments[0] = (where, segments[0][1].filter(after))
    return [q for _name, q in segments]


def _read(segments: list[QuerySet], n: int) -> list:
    """The first ``n`` rows of the segments read in turn (one query each, while rows lack)."""
    rows: list = []
    for q in segments:
        rows += list(q[: n - len(rows)])
        if len(rows) >= n:
            break
    return rows


def keyset_page(
    qs: QuerySet,
    *,
    sort: str,
    page_size: int,
    after: str | None = None,
    before: str | None = None,
    last: bool = False,
    count: bool = True,
    small: bool = False,
) -> Page:
    """One page of ``qs`` ordered by ``sort`` (a field name, ``-`` for descending) then id,
    empty values last. A cursor that is not one of this sort's starts from the first page.

    ``small``: ``qs`` holds few rows (the caller counted them, see ``lists.SORT_IN_MEMORY``):
    a text sort then reads them through the filters' indexes and sorts them in memory, rather
    than walking the sort column's index until enough of them turn up. PostgreSQL costs that
    walk as if the filter's rows were spread evenly along the index; they are not when the
    filter and the sort agree (company names start with their city: a salesperson's 上海
    customers sorted by pinyin wait behind every name before "shanghai", 222,000 rows)."""
    desc = sort.startswith("-")
    field = sort.lstrip("-") or "pk"
    defn = None
    if field.startswith("custom."):
        # a custom field: keys (empty last, value, id); an unknown one falls back to the id
        found = custom_sort(qs, field)
        if found is None:
            field = "pk"
        else:
            qs, defn = found
    model_field = None if field == "pk" or defn else qs.model._meta.get_field(field)
    if model_field is not None:
        field = model_field.attname  # a foreign key sorts by its id, as the cursor holds it

    def key(obj) -> list:
        if defn is not None:
            return [[getattr(obj, EMPTY), getattr(obj, VALUE)], obj.pk]
        return [None if field == "pk" else getattr(obj, field), obj.pk]

    total, capped = 0, False
    if count:
        total = qs.order_by()[: COUNT_CAP + 1].count()
        capped = total > COUNT_CAP
        total = min(total, COUNT_CAP)

    cursor = _cursor(before or after, sort, defn, model_field)
    reverse = bool(before and cursor) or last
    if defn is not None:
        d = desc != reverse
        prefix = "-" if d else ""
        base = qs.order_by(f"{'-' if reverse else ''}{EMPTY}", f"{prefix}{VALUE}", f"{prefix}pk")
        if cursor:
            base = base.filter(_after_custom(reverse, d, cursor[0], cursor[1]))
        rows = list(base[: page_size + 1])
    else:
        rows = _read(_segments(qs, field, desc, reverse, cursor, small), page_size + 1)
    more = len(rows) > page_size
    rows = rows[:page_size]
    if reverse:
        rows.reverse()
        has_next = bool(cursor) and not last
        has_prev = more
    else:
        has_next = more
        has_prev = bool(cursor)
    return Page(
        rows=rows,
        next_cursor=encode_cursor(sort, *key(rows[-1])) if rows and has_next else None,
        prev_cursor=encode_cursor(sort, *key(rows[0])) if rows and has_prev else None,
        is_first=not has_prev,
        count=total,
        count_capped=capped,
    )


def _cursor(token: str | None, sort: str, defn, model_field: Field | None) -> tuple | None:
    """The token's (key, id) in the types the query compares, or ``None``: start over."""
    cursor = decode_cursor(token, sort)
    if cursor is None:
        return None
    value, pk = cursor
    if defn is not None:
        from .customfields import sort_value_from_cursor

        if not (isinstance(value, list) and len(value) == 2 and value[0] in (0, 1)):
            return None
        if isinstance(value[0], bool):
            return None
        typed = sort_value_from_cursor(defn, value[1])
        if isinstance(typed, decimal.Decimal) and not typed.is_finite():
            return None
        return [value[0], typed], pk
    if model_field is None:
        return None, pk
    try:
        return _field_value(model_field, value), pk
    except ValueError:
        return None
