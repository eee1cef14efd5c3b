"""CSV/XLSX export of a queryset: streamed, constant memory, formula-escaped.

A cell starting with ``= + - @`` (or a tab/CR) would run as a formula in Excel or WPS; it is
prefixed with an apostrophe so it stays text (CSV/XLSX injection).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from . import cells
from .cells import plain, related_label
from .fields import MoneyField, quantize
from .registry import registry

#: Export cells are formatted by the one cell rendering (``kehu.core.cells.plain``).
safe_cell = plain


@dataclass
class ExportFormat:
    """A further format for one object type's list export (vCard for contacts, iCalendar ...):
    streamed from the same restricted, filtered queryset as CSV, with the same permission."""

    code: str
    label: Any
    stream: Callable[[QuerySet], Iterator[str]]
    content_type: str
    icon: str = "bi-download"


#: {object type label: {format code: ExportFormat}}
export_formats: dict[str, dict[str, ExportFormat]] = registry.store("export_formats")


def register_export_format(label: str, fmt: ExportFormat) -> ExportFormat:
    export_formats.setdefault(label, {})[fmt.code] = fmt
    return fmt


def shown_places(field) -> int:
    """The decimal places a page shows for a decimal field: its parameter's (money of quotes,
    contracts, orders: ``MoneyField(decimals_param=...)``), 2 for other money, the column's
    own otherwise."""
    param = getattr(field, "decimals_param", None)
    if param:
        from .providers import get_params

        return int(getattr(get_params(), param, 2))
    if isinstance(field, MoneyField):
        return 2
    return field.decimal_places


class Echo:
    def write(self, value: str) -> str:
        return value


def export_columns(object_type, user) -> list[tuple[str, str]]:
    """The export's columns: the object type's export fields less those hidden from ``user``."""
    from .customfields import definitions, is_opted_in

    model = object_type.model
    cols = []
    for name in object_type.visible(object_type.export_fields, user):
        field = model._meta.get_field(name)
        cols.append((name, str(field.verbose_name)))
    if is_opted_in(model):
        # one column per active custom field, labelled in the user's language
        cols += [(d.key, d.label()) for d in definitions(model)]
    return cols


def export_queryset(object_type, qs: QuerySet) -> QuerySet:
    """Join the related objects the export shows, for formats that read model instances (vCard,
    iCalendar). CSV/XLSX rows (``iter_rows``) read plain values and look related labels up once
    per chunk instead."""
    related = [
        name
        for name in object_type.export_fields
        if object_type.model._meta.get_field(name).many_to_one
    ]
    return qs.select_related(*related)


def cell_value(obj, name: str) -> Any:
    """One column of one record as the export shows it (before :func:`safe_cell`); the rows of
    an export are read per chunk instead (:func:`iter_rows`), with the same readers."""
    field = None if name.startswith("custom.") else obj._meta.get_field(name)
    if field is not None and field.is_relation and not field.choices:
        return related_label(getattr(obj, name))
    return cells.cell(obj, name)


#: Related objects kept between chunks (owners, departments repeat on every row); a cache
#: growing past this (e.g. one parent company per row) is dropped, so memory stays flat.
RELATED_CACHE_MAX = 20_000


class _Related:
    """The labels of one foreign key column, read in bulk once per chunk of rows."""

    def __init__(self, field, user=None) -> None:
        self.field = field
        self.target = field.target_field.attname
        self.labels: dict[Any, str] = {}
        # Targets under data permissions (a parent company) are named only when ``user`` may
        # see them; the others show as hidden, never by name.
        model = field.related_model
        self.user = user if getattr(model, "owner_path", None) is not None else None

    def load(self, keys: set) -> None:
        from .models import RestrictedQuerySet
        from .permissions import HIDDEN_RECORD

        missing = {k for k in keys if k is not None and k not in self.labels}
        if not missing:
            return
        if len(self.labels) + len(missing) > RELATED_CACHE_MAX:
            self.labels.clear()
        model = self.field.related_model
        # all rows, like the join select_related made: soft-deleted targets still show
        targets = RestrictedQuerySet(model=model).filter(**{f"{self.target}__in": missing})
        if self.user is not None:
            targets = targets.visible_to(self.user)
            self.labels.update(dict.fromkeys(missing, str(HIDDEN_RECORD)))
        for obj in targets:
            self.labels[getattr(obj, self.target)] = str(obj)


def _shown(value):
    """A custom field's yes/no as the page shows it (是/否, Yes/No)."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return value


def _plan(model, columns: list[tuple[str, str]], user=None):
    """What to read (database column names, for ``values_list``) and, per export column, a
    function of the row tuple: prepared once per export. Choice labels (dictionary entries
    included) are read once, not once per cell (``get_FOO_display`` re-reads them)."""
    attnames: list[str] = []
    related: list[tuple[int, _Related]] = []

    def index(attname: str) -> int:
        if attname not in attnames:
            attnames.append(attname)
        return attnames.index(attname)

    getters: list[Callable[[tuple], Any]] = []
    for name, _label in columns:
        if name.startswith("custom."):  # custom fields: the definition's own display
            i, read_custom = (
                index("custom"),
                cells.custom_reader(model, name.removeprefix("custom.")),
            )
            getters.append(lambda row, i=i, read=read_custom: _shown(read(row[i])))
            continue
        field = model._meta.get_field(name)
        i = index(field.attname)
        if field.choices:
            label = cells.choice_reader(field)
            getters.append(lambda row, i=i, label=label: label(row[i]))
        elif field.is_relation:
            rel = _Related(field, user)
            related.append((i, rel))
            getters.append(
                lambda row, i=i, rel=rel: "" if row[i] is None else rel.labels.get(row[i], "")
            )
        elif isinstance(field, models.BooleanField):  # as the page shows it: 是/否, Yes/No
            yes_no = {True: _("Yes"), False: _("No"), None: ""}
            getters.append(lambda row, i=i, yes_no=yes_no: yes_no[row[i]])
        elif isinstance(field, models.DecimalField):  # the places the page shows ("0.00")
            places = shown_places(field)
            getters.append(
                lambda row, i=i, places=places: None if row[i] is None else quantize(row[i], places)
            )
        else:
            getters.append(lambda row, i=i: row[i])
    return attnames, related, getters


def export_rows(qs: QuerySet, columns, chunk_size: int, *, user=None):
    """The row tuples in chunks: plain values (no model instances), related labels loaded
    (those ``user`` may not see as hidden)."""
    attnames, related, getters = _plan(qs.model, columns, user)
    chunk: list[tuple] = []
    for row in qs.values_list(*attnames).iterator(chunk_size=chunk_size):
        chunk.append(row)
        if len(chunk) >= chunk_size:
            yield chunk, related, getters
            chunk = []
    if chunk:
        yield chunk, related, getters


def iter_rows(
    qs: QuerySet, columns: list[tuple[str, str]], chunk_size: int = 2000, *, user=None
) -> Iterator[list]:
    """The export's rows, formula-escaped. Reads plain column values (``values_list``) rather
    than model instances, and each foreign key's labels once per chunk: a constant number of
    queries per 2,000 rows, and about 3 times faster than building three model instances a row
    (customer, owner, department)."""
    for chunk, related, getters in export_rows(qs, columns, chunk_size, user=user):
        for i, rel in related:
            rel.load({row[i] for row in chunk})
        for row in chunk:
            yield [safe_cell(get(row)) for get in getters]


def csv_stream(qs: QuerySet, columns: list[tuple[str, str]], *, user=None) -> Iterator[str]:
    writer = csv.writer(Echo())
    yield "\ufeff"  # BOM so Excel opens UTF-8 Chinese text correctly
    yield writer.writerow([label for _name, label in columns])
    for row in iter_rows(qs, columns, user=user):
        yield writer.writerow(row)


def write_csv(fh: IO[str], rows: Iterable[list], columns, progress=None) -> int:
    writer = csv.writer(fh)
    fh.write("\ufeff")
    writer.writerow([label for _name, label in columns])
    n = 0
    for n, row in enumerate(rows, 1):
        writer.writerow(row)
        if progress and n % 1000 == 0:
            progress(n)
    return n


class TooManyRowsError(ValueError):
    pass


def write_xlsx(path, rows: Iterable[list], columns, max_rows: int, progress=None) -> int:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Export")[:31])
    ws.append([label for _name, label in columns])
    n = 0
    for n, row in enumerate(rows, 1):
        if n > max_rows:
            raise TooManyRowsError(
                _("An Excel sheet holds at most %(max)s rows; narrow the filter or export CSV.")
                % {"max": f"{max_rows:,}"}
            )
        ws.append(row)
        if progress and n % 1000 == 0:
            progress(n)
    wb.save(path)
    return n


def export_to_file(
    *,
    user,
    object_type,
    fmt: str,
    path,
    filters: dict | None = None,
    sort: str = "",
    progress: Callable[..., None] | None = None,
) -> int:
    """Write a filtered list, as ``user`` sees it, to ``path``; the background export job and
    ``kehu export`` both call this. Needs the export permission; recorded in the audit trail."""
    from django.conf import settings
    from django.http import QueryDict

    from .filters import filtered_queryset
    from .models import AuditLog
    from .pagination import order_for_sort
    from .permissions import SpecialPermission

    if not user.has_perm(SpecialPermission.EXPORT):
        raise PermissionError(_("You may not export data."))
    extra = export_formats.get(object_type.label, {}).get(fmt)
    if fmt not in ("csv", "xlsx") and extra is None:
        raise ValueError(_("Unknown export format: %(format)s") % {"format": fmt})
    data = QueryDict(mutable=True)
    for k, v in (filters or {}).items():
        data[k] = v
    _fs, qs = filtered_queryset(object_type, user, data)
    qs = order_for_sort(qs, sort or object_type.default_sort)  # custom fields too
    total = qs.count()
    if progress:
        progress(0, total)
    if fmt == "xlsx" and total > settings.KEHU_XLSX_MAX_ROWS:
        raise TooManyRowsError(
            _("An Excel sheet holds at most %(max)s rows; narrow the filter or export CSV.")
            % {"max": f"{settings.KEHU_XLSX_MAX_ROWS:,}"}
        )
    if extra is not None:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            for chunk in extra.stream(qs):
                fh.write(chunk)
        n = total
    elif fmt == "csv":
        columns = export_columns(object_type, user)
        with open(path, "w", newline="", encoding="utf-8") as fh:
            n = write_csv(
                fh,
                iter_rows(export_queryset(object_type, qs), columns, user=user),
                columns,
                progress,
            )
    else:
        columns = export_columns(object_type, user)
        rows = iter_rows(export_queryset(object_type, qs), columns, user=user)
        n = write_xlsx(path, rows, columns, settings.KEHU_XLSX_MAX_ROWS, progress)
    AuditLog.record(
        user,
        AuditLog.Action.EXPORT,
        {"object_type": object_type.label, "format": fmt, "rows": n, "filters": filters or {}},
    )
    return n
