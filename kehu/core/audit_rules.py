"""The one rule for what changed, used by every audited write (``BaseModel.save``/``delete`` and
the writer's bulk operations in :mod:`kehu.core.audit`, which offers these names too).

A module of its own, below the models: it reads a model's fields and hooks (``audit_exclude``,
``audit_derived``, ``audit_expand``) and imports no model, so ``core.models`` uses it without
importing the writer that imports the models.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models.fields.files import FieldFile


def excluded(model) -> set[str]:
    """Field names and attnames never written to the trail: ``audit_exclude`` (noise or secrets)
    and ``audit_derived`` (columns computed from others, e.g. the search columns)."""
    names = {  # of every class: a feature's (soft delete's) add to the base model's
        name
        for cls in model.__mro__
        for attr in ("audit_exclude", "audit_derived")
        for name in vars(cls).get(attr, ())
    }
    return names | {f"{name}_id" for name in names}


def expand(obj, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Per-part entries for composite values (custom fields: ``custom.<code>``)."""
    hook = getattr(obj, "audit_expand", None)
    return hook(changes) if hook is not None else changes


def _plain(value):
    return (value.name or "") if isinstance(value, FieldFile) else value


def diff(old_values: dict[str, Any], new_values: dict[str, Any], obj) -> dict[str, list[Any]]:
    """What changed between two sets of column values (by attname) of ``obj``'s model: equal as
    the field reads them (``"5"`` and ``5`` for an integer are no change), ``audit_exclude``
    skipped, custom fields one entry each."""
    skip = excluded(type(obj))
    changes = {}
    for field in type(obj)._meta.concrete_fields:
        name = field.attname
        if field.primary_key or name in skip or name not in old_values or name not in new_values:
            continue
        old, new = _plain(old_values[name]), _plain(new_values[name])
        if field.to_python(old) != field.to_python(new):
            changes[name] = [old, new]
    return expand(obj, changes)


def audited_fields(model) -> list[str]:
    """Attnames whose values a created or deleted row records."""
    skip = excluded(model)
    return [
        f.attname
        for f in model._meta.concrete_fields
        if not f.primary_key and f.attname not in skip
    ]


def _row(obj, attnames: Iterable[str], sign: int) -> dict[str, list[Any]]:
    values = obj.__dict__  # a deferred column is absent: left out rather than loaded
    changes = {}
    for a in attnames:  # inlined: the import path runs this for every column of every row
        if a in values:
            v = values[a]
            if isinstance(v, FieldFile):
                v = v.name or ""
            if v is not None and v != "":
                changes[a] = [None, v] if sign > 0 else [v, None]
    return expand(obj, changes)


def created_changes(obj, attnames: Sequence[str] | None = None) -> dict[str, list[Any]]:
    return _row(obj, audited_fields(type(obj)) if attnames is None else attnames, 1)


def deleted_changes(obj, attnames: Sequence[str] | None = None) -> dict[str, list[Any]]:
    return _row(obj, audited_fields(type(obj)) if attnames is None else attnames, -1)
