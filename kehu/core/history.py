"""The audit trail as people read it: field labels, choice labels, local dates, names.

An :class:`~kehu.core.models.AuditLog` entry stores what the writer saw: column names
(``lifecycle_stage``, ``owner_id``), stored values (``"prospect"``, ISO timestamps, ids) and, for
events that are not diffs (an export, a merge, a share), a flat dict of facts. The record's
history card, the audit page and its export all read entries through :func:`readable_changes`,
so none of them shows a code where a label belongs, and none iterates a fact's string as if it
were an ``[old, new]`` pair ("format: x → l").

A related owned record (a customer, a contact) is named only when the reader may see it (its
``visible_to``); otherwise its number is shown. Fields the reader may not see (``ObjectType.sensitive``) are left out.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .cells import choice_labels, display
from .registry import registry

__all__ = ["ChangeLine", "readable_changes", "readable_entries", "register_fact_display"]

#: Labels of the facts recorded by events that are not field diffs.
FACT_LABELS = {
    "object_type": gettext_lazy("Record type"),
    "format": gettext_lazy("Format"),
    "rows": gettext_lazy("Rows"),
    "filters": gettext_lazy("Filters"),
    "roles": gettext_lazy("Roles"),
    "merge": gettext_lazy("Merge"),
    "losers": gettext_lazy("Merged records"),
    "fields": gettext_lazy("Fields"),
    "moved": gettext_lazy("Related records moved"),
    "merged_into": gettext_lazy("Merged into"),
    "undo_merge": gettext_lazy("Merge undone"),
    "restored": gettext_lazy("Restored records"),
    "shared_with": gettext_lazy("Shared with"),
    "unshared_with": gettext_lazy("Share withdrawn from"),
    "can_edit": gettext_lazy("May edit"),
    "scopes": gettext_lazy("Data scopes"),
    "departments": gettext_lazy("Departments"),
    "users": gettext_lazy("Employees"),
    "handover": gettext_lazy("Handover"),
    "skills": gettext_lazy("Skills"),
    "attachment": gettext_lazy("Attachment"),
    "reason": gettext_lazy("Reason"),
}


#: How the value of a fact is shown, by key (``register_fact_display``): e.g. the ``roles`` of a
#: permission change are stored as role names, the default roles under a code (``salesperson``)
#: that the system app turns into the role's name in the reader's language.
FACT_DISPLAY: dict = {}


def register_fact_display(key: str, show) -> None:
    """``show(value) -> value`` for the facts recorded under ``key`` (before they are joined as
    text); registered by the app that records them (the layers keep this module ignorant of
    it)."""
    FACT_DISPLAY[key] = show


#: The export's own parameters in its "filters" fact, besides the filter set's fields.
QUERY_LABELS = {
    "sort": gettext_lazy("Sort"),
    "q": gettext_lazy("Search"),
    "view": gettext_lazy("Saved view"),
    "columns": gettext_lazy("Columns"),
    "page_size": gettext_lazy("Page size"),
    "format": gettext_lazy("Format"),
}


def _filters_text(object_type: Any, params: dict, names: _Names) -> str:
    """An export's query (``{"lifecycle_stage": "prospect", "owner": "7"}``) as the list's
    filter labels and the values' labels: "Lifecycle stage: Prospect; Owner: 王小明"."""
    if not params:
        return "—"
    ot = registry.get(object_type) if isinstance(object_type, str) else None
    filters = getattr(getattr(ot, "filterset", None), "base_filters", {}) if ot else {}
    parts = []
    for key, value in _in_list_order(params, filters):
        flt = filters.get(key)
        label = getattr(flt, "label", None) if flt is not None else None
        if not label:
            label = QUERY_LABELS.get(key)
        if not label and ot is not None:
            try:
                label = ot.model._meta.get_field(key.removesuffix("_id")).verbose_name
            except Exception:  # noqa: BLE001 - not a field: keep the key
                label = None
        choices = dict(flt.extra.get("choices") or ()) if flt is not None else {}
        shown = choices.get(value, value) if isinstance(value, str) else _plain_value(value)
        if key == "sort" and isinstance(value, str) and ot is not None:
            shown = _sort_text(ot, value)
        related = _related_model(ot, flt) if flt is not None and not choices else None
        if related is not None and isinstance(value, str) and value.isdigit():
            shown = names.label(related, int(value))
        if shown in ("", None):
            continue
        parts.append(f"{capfirst(str(label or key))}: {shown}")
    return "; ".join(parts) if parts else "—"


def _in_list_order(params: dict, filters: dict) -> list[tuple[str, Any]]:
    """The query's keys in the list's own order: its filters as declared, then the export's
    parameters (search, sort …), then anything else by name. PostgreSQL's ``jsonb`` keeps keys
    in its own order, so the order they were recorded in is not the order they come back in."""
    rank = {key: i for i, key in enumerate([*filters, *QUERY_LABELS])}
    return sorted(params.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0]))


def _sort_text(ot, value: str) -> str:
    """``-name`` as "Name ↓" (the column's label, the direction as an arrow)."""
    try:
        label = ot.model._meta.get_field(value.lstrip("-")).verbose_name
    except Exception:  # noqa: BLE001 - not a column: the key as it was
        return value
    return f"{capfirst(str(label))} {'↓' if value.startswith('-') else '↑'}"


def _related_model(ot, flt):
    """The model a filter's value points at (an owner's, a department's id), if any."""
    try:
        field = ot.model._meta.get_field(flt.field_name.split("__")[0])
    except Exception:  # noqa: BLE001 - a method filter or no such field
        return None
    return field.related_model if field.is_relation and flt.field_name == field.name else None


@dataclass
class ChangeLine:
    key: str
    label: str
    old: Any = None  # a diff: the values before and after, ready to show
    new: Any = None
    value: Any = None  # a fact of an event: one value
    is_diff: bool = True

    def __str__(self) -> str:
        if self.is_diff:
            return f"{self.label}: {self.old} → {self.new}"
        return f"{self.label}: {self.value}"


class _Names:
    """Labels of related records, looked up once per model and id for a page of entries, and
    only among the records the reader may see."""

    def __init__(self, user):
        self.user = user
        self.cache: dict[tuple[type, Any], str | None] = {}

    def label(self, model, pk) -> str:
        key = (model, pk)
        if key not in self.cache:
            qs = model._default_manager.all()
            # Owned records (customers, contacts …) are named only inside the reader's scope;
            # people and departments are named everywhere (as the lists' owner columns do).
            if self.user is not None and hasattr(model, "owner_path"):
                qs = qs.visible_to(self.user)
            try:
                obj = qs.filter(pk=pk).first()
            except (ValueError, TypeError):
                obj = None
            self.cache[key] = str(obj) if obj is not None else None
        found = self.cache[key]
        return found if found is not None else f"#{pk}"


def _plain_value(value) -> Any:
    """A fact or an unknown column's value as text: lists joined, dicts as "key: value"."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list | tuple):
        return ", ".join(str(_plain_value(v)) for v in value) if value else "—"
    if isinstance(value, dict):
        parts = [f"{k}: {_plain_value(v)}" for k, v in value.items()]
        return "; ".join(parts) if parts else "—"
    if isinstance(value, str) and registry.get(value) is not None:  # an object type's label
        return capfirst(registry[value].verbose_name_plural())
    return display(value)


def _field_value(field, value, names: _Names, labels: dict) -> Any:
    if value is None or value == "":
        return "—"
    if field.choices:
        return labels.setdefault(field, choice_labels(field)).get(value, value)
    if isinstance(field, models.BooleanField):
        return display(bool(value))
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        parsed = parse_datetime(value)
        return display(parsed) if parsed is not None else value
    if isinstance(field, models.DateField) and isinstance(value, str):
        parsed = parse_date(value[:10])
        return display(parsed) if parsed is not None else value
    if isinstance(value, datetime.date):
        return display(value)
    if isinstance(field, models.DecimalField):
        try:
            return display(Decimal(str(value)))
        except ArithmeticError:
            return value
    if field.is_relation and field.many_to_one:
        return names.label(field.related_model, value)
    return _plain_value(value)


def _columns(model) -> dict[str, models.Field]:
    cols: dict[str, models.Field] = {}
    for f in model._meta.concrete_fields:
        cols[f.attname] = f
        cols[f.name] = f
    return cols


def readable_changes(entry, user=None, *, names: _Names | None = None) -> list[ChangeLine]:
    """The lines of one entry: a diff per field (label, old → new) or the facts of an event
    (label: value); without the fields the user may not see."""
    names = names or _Names(user)
    model = entry.content_type.model_class() if entry.content_type_id else None
    ot = registry.get(model._meta.label_lower) if model is not None else None
    hidden: set[str] = set()
    if ot is not None and user is not None:
        hidden = ot.hidden_for(user)
        hidden |= {f"{name}_id" for name in hidden}
    columns = _columns(model) if model is not None else {}
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    labels: dict = {}
    lines = []
    side = {"create": 1, "delete": 0}.get(entry.action)  # a created or deleted row: its values
    for key, change in changes.items():
        if side is not None and isinstance(change, list | tuple) and len(change) == 2:
            change = change[side]
        if key in hidden:
            continue
        field = columns.get(key)
        is_pair = isinstance(change, list | tuple) and len(change) == 2
        if key.startswith("custom.") and model is not None:
            label, old, new = _custom(model, key, change if is_pair else [None, change])
            lines.append(ChangeLine(key, label, old=old, new=new))
            continue
        if field is not None:
            label = capfirst(str(field.verbose_name))
            if is_pair:
                old, new = (_field_value(field, v, names, labels) for v in change)
                lines.append(ChangeLine(key, label, old=old, new=new))
            else:
                value = _field_value(field, change, names, labels)
                lines.append(ChangeLine(key, label, value=value, is_diff=False))
            continue
        label = capfirst(str(FACT_LABELS.get(key, key.replace("_", " "))))
        show = FACT_DISPLAY.get(key, lambda v: v)
        if is_pair and entry.action in ("create", "update", "delete", "permission"):
            old, new = (_plain_value(show(v)) if v not in (None, "") else "—" for v in change)
            lines.append(ChangeLine(key, label, old=old, new=new))
        elif key == "filters" and isinstance(change, dict):
            value = _filters_text(changes.get("object_type"), change, names)
            lines.append(ChangeLine(key, label, value=value, is_diff=False))
        else:
            lines.append(ChangeLine(key, label, value=_plain_value(show(change)), is_diff=False))
    return lines


def _custom(model, key: str, change) -> tuple[str, Any, Any]:
    from .customfields import definition

    defn = definition(model, key.removeprefix("custom."))
    if defn is None:
        return key, *(_plain_value(v) if v not in (None, "") else "—" for v in change)
    return defn.label(), *(display(defn.display(v)) for v in change)


def readable_entries(entries, user=None) -> list[tuple[Any, list[ChangeLine]]]:
    """``[(entry, lines)]`` for a page of entries, related names looked up once."""
    names = _Names(user)
    return [(e, readable_changes(e, user, names=names)) for e in entries]
