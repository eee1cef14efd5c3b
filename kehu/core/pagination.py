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
    model_field = None if field == "pk" else qs.model._meta.get_field(field)

    def key(obj) -> list:
        return [None if field == "pk" else getattr(obj, model_field.attname), obj.pk]

    def order(reverse: bool) -> list[str]:
        d = desc != reverse
        prefix = "-" if d else ""
        return [f"{prefix}pk"] if field == "pk" else [f"{prefix}{field}", f"{prefix}pk"]

    total, capped = 0, False
    if count:
        total = qs.order_by()[: COUNT_CAP + 1].count()
        capped = total > COUNT_CAP
        total = min(total, COUNT_CAP)

    cursor_token = before or after
    cursor = decode_cursor(cursor_token) if cursor_token else None
    if cursor and model_field is not None:
        cursor[0] = model_field.to_python(cursor[0]) if cursor[0] is not None else None
    reverse = bool(before and cursor) or last
    base = qs.order_by(*order(reverse))
    if cursor:
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
