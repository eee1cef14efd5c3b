"""Keyset (cursor) pagination for list pages: constant cost on page 1 and page 20,000 alike.

No ``COUNT(*)`` over the table: the page shows "1,000+" style counts from a capped count, and
navigates with an opaque cursor holding the last row's (sort value, id).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet

COUNT_CAP = 1_000


def encode_cursor(values: list) -> str:
    raw = json.dumps(values, cls=DjangoJSONEncoder, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> list | None:
    try:
        padded = token + "=" * (-len(token) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, json.JSONDecodeError):
        return None
    return values if isinstance(values, list) and len(values) == 2 else None


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


def order_for_sort(qs: QuerySet, sort: str) -> QuerySet:
    """``qs`` in a list's sort order (``sort``: a field, ``custom.<code>`` or ``pk``, ``-`` for
    descending), ties by id: what exports use to follow the list page."""
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
    op = "lt" if desc else "gt"
    if field == "pk":
        return Q(**{f"pk__{op}": pk})
    return Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk})


def keyset_page(
    qs: QuerySet,
    *,
    sort: str,
    page_size: int,
    after: str | None = None,
    before: str | None = None,
    last: bool = False,
    count: bool = True,
) -> Page:
    """One page of ``qs`` ordered by ``sort`` (a field name, ``-`` for descending) then id."""
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

    def key(obj) -> list:
        if defn is not None:
            return [[getattr(obj, EMPTY), getattr(obj, VALUE)], obj.pk]
        return [None if field == "pk" else getattr(obj, model_field.attname), obj.pk]

    def order(reverse: bool) -> list[str]:
        d = desc != reverse
        prefix = "-" if d else ""
        if defn is not None:  # empty values last in both directions
            return [f"{'-' if reverse else ''}{EMPTY}", f"{prefix}{VALUE}", f"{prefix}pk"]
        return [f"{prefix}pk"] if field == "pk" else [f"{prefix}{field}", f"{prefix}pk"]

    total, capped = 0, False
    if count:
        total = qs.order_by()[: COUNT_CAP + 1].count()
        capped = total > COUNT_CAP
        total = min(total, COUNT_CAP)

    cursor_token = before or after
    cursor = decode_cursor(cursor_token) if cursor_token else None
    if cursor and (not isinstance(cursor[1], int) or isinstance(cursor[1], bool)):
        cursor = None  # a hand-made cursor: start from the beginning, not an error
    if cursor and defn is not None:
        from .customfields import sort_value_from_cursor

        ok = isinstance(cursor[0], list) and len(cursor[0]) == 2 and cursor[0][0] in (0, 1)
        cursor = (
            [[cursor[0][0], sort_value_from_cursor(defn, cursor[0][1])], cursor[1]] if ok else None
        )
    elif cursor and model_field is not None:
        cursor[0] = model_field.to_python(cursor[0]) if cursor[0] is not None else None
    reverse = bool(before and cursor) or last
    base = qs.order_by(*order(reverse))
    if cursor and defn is not None:
        base = base.filter(_after_custom(reverse, desc != reverse, cursor[0], cursor[1]))
    elif cursor:
        base = base.filter(_after(field, desc != reverse, cursor[0], cursor[1]))
    rows = list(base[: page_size + 1])
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
        next_cursor=encode_cursor(key(rows[-1])) if rows and has_next else None,
        prev_cursor=encode_cursor(key(rows[0])) if rows and has_prev else None,
        is_first=not has_prev,
        count=total,
        count_capped=capped,
    )
