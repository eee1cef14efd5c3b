"""What every object list offers, for any registered type: the record count (exact where cheap,
an estimate otherwise), the page sizes, the columns a user may choose, the fields a user may
edit in place or in bulk, and the settings a user's list remembers.

The list page (``views.ObjectListView``) and the bulk/inline edit views (``list_views``) read
these; nothing here writes (``actions.remember_list_settings`` and ``actions.mass_update`` do).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models

from .customfields import definitions, is_opted_in

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50

#: Exact counts up to this many rows cost an index scan at most; beyond, an estimate.
EXACT_COUNT_CAP = 1_000
#: SQLite has no planner estimate: a bounded count, "more than 100,000" beyond.
SQLITE_COUNT_CAP = 100_000
#: A list of at most this many rows (counted or estimated) sorted by text is read through its
#: filters and sorted in memory (``pagination.keyset_page``'s ``small``): bounded work, where
#: walking the sort index can read most of the table when the filter and the sort correlate.
SORT_IN_MEMORY = 10_000


@dataclass(frozen=True)
class Count:
    """How many records a list holds: ``value`` exact (``exact``), estimated (``estimated``:
    "about 12,345") or at least ``value`` (neither: "more than 100,000")."""

    value: int
    exact: bool = True
    estimated: bool = False


def count_rows(qs: models.QuerySet) -> Count:
    """The list's count at constant cost: an exact capped count, then PostgreSQL's planner
    estimate for the same query (``EXPLAIN``: no row is read), or on SQLite a count bounded
    at :data:`SQLITE_COUNT_CAP`."""
    qs = qs.order_by()
    n = qs[: EXACT_COUNT_CAP + 1].count()
    if n <= EXACT_COUNT_CAP:
        return Count(n)
    connection = connections[qs.db]
    if connection.vendor == "postgresql":
        estimate = planner_rows(qs)
        if estimate is not None:
            return Count(max(estimate, EXACT_COUNT_CAP + 1), exact=False, estimated=True)
        return Count(EXACT_COUNT_CAP, exact=False)
    n = qs[: SQLITE_COUNT_CAP + 1].count()
    if n <= SQLITE_COUNT_CAP:
        return Count(n)
    return Count(SQLITE_COUNT_CAP, exact=False)


def planner_rows(qs: models.QuerySet) -> int | None:
    """PostgreSQL's estimate of the rows ``qs`` returns (planning only, no execution)."""
    sql, params = qs.values("pk").query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        raw = cursor.fetchone()[0]
    plan = json.loads(raw) if isinstance(raw, str) else raw
    try:
        return int(plan[0]["Plan"]["Plan Rows"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


# --- Columns ----------------------------------------------------------------------------------


def default_columns(object_type, user) -> list[str]:
    """The list's columns before any choice: the type's, then the custom fields shown in lists."""
    names = object_type.visible(object_type.columns, user)
    if is_opted_in(object_type.model):
        names += [
            d.key for d in definitions(object_type.model) if d.show_in_list and d.key not in names
        ]
    return names


def _displayable(field) -> bool:
    return (
        field.concrete
        and not field.many_to_many
        and not isinstance(field, models.JSONField | models.BinaryField)
        and field.name not in ("search_text", "search_grams", "custom")
        and not field.name.endswith("_sort")
    )


def available_columns(object_type, user) -> list[tuple[str, str]]:
    """``(name, label)`` of every column the column chooser offers: the list's, the export's,
    the detail page's fields, then the active custom fields; sensitive ones only to those
    allowed."""
    model = object_type.model
    seen: dict[str, str] = {}
    for name in [*object_type.columns, *object_type.export_fields, *object_type.detail_fields]:
        if name in seen or name.startswith("custom."):
            continue
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # a declared name that is not a field (a property)
            continue
        if _displayable(field):
            seen[name] = str(field.verbose_name)
    names = object_type.visible(list(seen), user)
    out = [(n, seen[n]) for n in names]
    if is_opted_in(model):
        custom = [(d.key, d.label()) for d in definitions(model)]
        out += [(k, label) for k, label in custom if k in object_type.visible([k], user)]
    return out


def chosen_columns(object_type, user, wanted: list[str] | None) -> list[str]:
    """The columns to show: ``wanted`` (from the URL or the remembered settings) less what is
    not available to ``user``; the defaults when nothing valid is left."""
    if wanted:
        available = {name for name, _label in available_columns(object_type, user)}
        names = [n for n in dict.fromkeys(wanted) if n in available]
        if names:
            return names
    return default_columns(object_type, user)


def parse_columns(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    return [c.strip() for c in raw.split(",") if c.strip()][:40] or None


# --- Fields edited in place and in bulk ------------------------------------------------------


def _simple(field) -> bool:
    """A field one control edits: a choice, a yes/no, a date, a number, a short text."""
    if not field.concrete or field.primary_key or field.is_relation or not field.editable:
        return False
    if field.choices:
        return True
    return isinstance(
        field,
        models.BooleanField
        | models.DateField
        | models.DecimalField
        | models.IntegerField
        | models.EmailField
        | models.CharField,
    ) and not isinstance(field, models.TextField)


def editable_fields(object_type, user) -> list[str]:
    """The fields a user may change in place on the list or for many rows at once: those of the
    type's form (so the form's own choices and checks apply) that one simple control edits,
    sensitive ones only for those allowed. ``ObjectType.bulk_fields`` narrows it."""
    form_fields = getattr(object_type.form, "base_fields", {})
    declared = object_type.bulk_fields
    names = list(declared) if declared is not None else list(form_fields)
    out = []
    for name in names:
        if name not in form_fields or name.startswith("custom."):
            continue
        try:
            field = object_type.model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if _simple(field):
            out.append(name)
    return object_type.visible(out, user)
