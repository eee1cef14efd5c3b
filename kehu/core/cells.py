"""One cell rendering: how a field's value becomes what a list, a detail page or an export shows.

Why one module: the list page, the detail page and the CSV/XLSX export each turned values into
labels on their own (choices, foreign keys, custom fields), and the two formattings (HTML and
spreadsheet) lived in a template filter and in the export. Here, one function per kind:

- :func:`choice_labels` — a choice field's labels, read once per column: dictionary-backed
  choices go to the shared cache on every read, so never once per cell.
- :func:`custom_reader` — a custom field's value through its definition's ``display``.
- :func:`related_label` — a foreign key's label (the export reads labels per chunk, see
  ``export._Related``, and passes them here).
- :func:`column_reader` — the value of one column of a model instance (list and detail pages),
  prepared once per column; :func:`cell` for a single value.
- :func:`contact_link` — a phone number as ``tel:``, an e-mail address as ``mailto:`` (detail
  pages).
- :func:`display` (HTML: empty as a dash, yes/no, local dates, grouped money) and :func:`plain`
  (CSV/XLSX: formula-escaped, typed values kept for Excel) format the value.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

#: A cell starting with one of these would run as a formula in Excel or WPS (CSV/XLSX injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


#: Field names that hold a phone number (``phone``, ``office_phone``, ``mobile`` …).
PHONE_NAME = re.compile(r"(^|_)(phone|mobile|tel|telephone)$")


class Phone(str):
    """A phone number: shown as a ``tel:`` link (tap to call on a phone)."""


class Email(str):
    """An e-mail address: shown as a ``mailto:`` link."""


def cell_kind(field) -> str | None:
    """``"tel"`` or ``"email"`` for the fields whose values are links, else ``None``."""
    if isinstance(field, models.EmailField):
        return "email"
    if isinstance(field, models.CharField) and not field.choices and PHONE_NAME.search(field.name):
        return "tel"
    return None


# --- Values by kind -----------------------------------------------------------------------------


def choice_labels(field) -> dict[Any, str]:
    """``{stored value: label}`` of a choice field, in the active language: read once a column."""
    return {k: str(v) for k, v in field.flatchoices}


def choice_reader(field) -> Callable[[Any], Any]:
    """Stored value → its label (a value no longer among the choices shows as itself)."""
    labels = choice_labels(field)
    return lambda value: labels.get(value, value)


def custom_reader(model, code: str) -> Callable[[dict | None], Any]:
    """A record's ``custom`` dict → the display of one custom field (the raw value if the
    field has no definition any more)."""
    from .customfields import definition

    defn = definition(model, code)
    if defn is None:
        return lambda custom: (custom or {}).get(code)
    return lambda custom: defn.display((custom or {}).get(code))


def related_label(value) -> str:
    """A related record as text ("" for none)."""
    return "" if value is None else str(value)


def column_reader(model, name: str) -> Callable[[Any], Any]:
    """``obj`` → the value one column shows (choice label, custom field display, related
    object or plain value), prepared once per column for a page of rows."""
    if name.startswith("custom."):
        read_custom = custom_reader(model, name.removeprefix("custom."))
        return lambda obj: read_custom(obj.custom)
    field = model._meta.get_field(name)
    if field.choices:
        label = choice_reader(field)
        return lambda obj: label(getattr(obj, field.attname))
    kind = cell_kind(field)
    if kind is not None:
        wrap = Phone if kind == "tel" else Email
        return lambda obj: wrap(v) if (v := getattr(obj, name)) else v
    return lambda obj: getattr(obj, name)


def cell(obj, name: str) -> Any:
    """The value of one column of one record (a detail page, a merge's comparison)."""
    return column_reader(type(obj), name)(obj)


def rows_of(objs, names: list[str]) -> list[tuple]:
    """``[(obj, [value of each column])]`` for a page of records: each column prepared once."""
    if not objs:
        return []
    readers = [column_reader(type(objs[0]), name) for name in names]
    return [(obj, [read(obj) for read in readers]) for obj in objs]


# --- Links ---------------------------------------------------------------------------------------


def is_phone_field(field) -> bool:
    """A phone number column: marked ``kehu_phone = True`` or validated by a ``validate_phone``
    (the customers' phone fields), without this module knowing the app that defines it."""
    if getattr(field, "kehu_phone", False):
        return True
    if "fax" in field.name:  # a fax number is not for calling
        return False
    return any(getattr(v, "__name__", "") == "validate_phone" for v in field.validators)


def contact_link(field, value: Any) -> Any:
    """A detail page's phone number as a ``tel:`` link (tap to call on a phone) and an e-mail
    address as a ``mailto:`` link; any other value unchanged."""
    from django.db import models
    from django.utils.html import format_html
    from django.utils.safestring import SafeData

    if not value or not isinstance(value, str) or isinstance(value, SafeData):
        return value  # nothing, or already a link (``display`` links phones and e-mails)
    if isinstance(field, models.EmailField):
        return format_html('<a href="mailto:{}">{}</a>', value, value)
    if is_phone_field(field):
        number = "".join(ch for ch in value if ch.isdigit() or ch == "+")
        if number:
            return format_html('<a href="tel:{}">{}</a>', number, value)
    return value


# --- Formatting ---------------------------------------------------------------------------------


def display(value: Any) -> Any:
    """For HTML: dates localised, money grouped, yes/no, empty as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Phone):
        number = "".join(ch for ch in value if ch.isdigit() or ch == "+")
        return format_html('<a href="tel:{}" class="cell-link">{}</a>', number, str(value))
    if isinstance(value, Email):
        return format_html('<a href="mailto:{}" class="cell-link">{}</a>', str(value), str(value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "Y-m-d")
    if isinstance(value, Decimal):
        return formats.number_format(value, 2, use_l10n=True, force_grouping=True)
    return value


def plain(value: Any) -> Any:
    """For CSV/XLSX: empty as "", numbers, dates and booleans as themselves (local, naive
    times), anything else as text with a leading formula character escaped by an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = str(value)  # a ``Phone`` or ``Email`` is text in a spreadsheet
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, bool | int | float | Decimal | datetime.date):
        return value
    return plain(str(value))
