"""The one range every date and time in Kehu must fall in, and safe parsing of date parameters.

Python dates stop at year 1 and 9999: a year-1 start minus a reminder, or a 9999-12-31 "until"
plus one day, overflows and turned every page showing the row into a 500. Business dates of a
CRM lie between 1900 and 2100, so every date that comes in — forms, API, filters, imports,
custom fields, query parameters (``core.query``) — is checked against :data:`MIN_DATE` ..
:data:`MAX_DATE` here.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _

MIN_DATE = datetime.date(1900, 1, 1)
MAX_DATE = datetime.date(2100, 12, 31)
MIN_YEAR, MAX_YEAR = MIN_DATE.year, MAX_DATE.year


def in_range(value: datetime.date | datetime.datetime) -> bool:
    day = value.date() if isinstance(value, datetime.datetime) else value
    return MIN_DATE <= day <= MAX_DATE


def out_of_range_message() -> str:
    return _("Enter a date between %(min)s and %(max)s.") % {
        "min": date_format(MIN_DATE, "Y-m-d"),
        "max": date_format(MAX_DATE, "Y-m-d"),
    }


def validate_date_range(value) -> None:
    """Validator for date and datetime fields (model, form, serializer, filter)."""
    if isinstance(value, datetime.date) and not in_range(value):
        raise ValidationError(out_of_range_message(), code="date_range")


def add_date_validator(field) -> None:
    """Give a form or serializer field the range check once (idempotent)."""
    if validate_date_range not in field.validators:
        field.validators.append(validate_date_range)
