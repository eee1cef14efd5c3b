"""System parameters, holidays and make-up days (调休), dictionaries: validation and writes.

Reading goes through :mod:`kehu.system.params` (cached); every write here saves through
``BaseModel.save`` (audited) and the caches are invalidated in every process by the model signals
connected there.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.actions import check_upload
from kehu.core.errors import StaleObjectError
from kehu.core.models import AuditLog
from kehu.core.numbering import check_pattern

from ..models import DictionaryItem, Holiday, SystemParameters
from ..params import PARAMETERS, get_holidays, get_params, load_parameters

__all__ = [
    "CHINA_2026_HOLIDAYS",
    "DECIMAL_FIELDS",
    "LOGO_EXTENSIONS",
    "LOGO_MAX_BYTES",
    "PARAMETER_FIELDS",
    "check_logo",
    "import_holidays",
    "is_working_day",
    "save_dictionary_item",
    "save_holiday",
    "update_parameters",
    "validate_parameters",
    "working_minutes_between",
]

DECIMAL_FIELDS = [
    f"{document}_{what}_decimals"
    for document in ("quote", "contract", "order", "product")
    for what in ("amount", "quantity")
]
PARAMETER_FIELDS = [
    "company_name",
    "logo",
    "admin_email",
    "currency",
    "receivable_reminder_days",
    "care_reminder_days",
    "contract_renewal_days",
    "care_suppression_days",
    "recycle_retention_days",
    "customer_number_pattern",
    *DECIMAL_FIELDS,
    "work_start",
    "work_end",
    "work_weekdays",
]
LOGO_EXTENSIONS = ("png", "jpg", "jpeg", "webp")
LOGO_MAX_BYTES = 2 * 1024 * 1024
MAX_DECIMALS = 6
MAX_REMINDER_DAYS = 365


def check_logo(upload) -> None:
    """A logo must be a PNG, JPEG or WebP image of at most 2 MB, whose content matches its name."""
    name = upload.name or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in LOGO_EXTENSIONS:
        raise ValidationError(_("The logo must be a PNG, JPEG or WebP image."), code="invalid")
    if upload.size > LOGO_MAX_BYTES:
        raise ValidationError(_("The logo is larger than 2 MB."), code="too_large")
    check_upload(upload)
    head = upload.read(12)
    upload.seek(0)
    if ext == "webp" and not (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        raise ValidationError(_("The file content does not match its type."), code="invalid")


def validate_parameters(values: dict) -> None:
    """Raise a ValidationError per field for values the system cannot work with."""
    errors: dict[str, list[str]] = {}

    def error(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    unknown = set(values) - set(PARAMETER_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown parameters: %(names)s") % {"names": ", ".join(sorted(unknown))}
        )
    for name in DECIMAL_FIELDS:
        if name in values:
            value = values[name]
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 6:
                error(name, _("Enter a number of decimal places from 0 to 6."))
    for name in (
        "receivable_reminder_days",
        "care_reminder_days",
        "contract_renewal_days",
        "care_suppression_days",
    ):
        if name in values:
            value = values[name]
            if not isinstance(value, int) or not 0 <= value <= MAX_REMINDER_DAYS:
                error(name, _("Enter a number of days from 0 to 365."))
    if "work_weekdays" in values:
        days = values["work_weekdays"] or ""
        if not re.fullmatch(r"[1-7]{1,7}", days) or len(set(days)) != len(days):
            error(
                "work_weekdays",
                _("Enter distinct weekday numbers from 1 (Monday) to 7 (Sunday), e.g. 12345."),
            )
    if "recycle_retention_days" in values:
        value = values["recycle_retention_days"]
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 3650:
            error("recycle_retention_days", _("Enter a number of days from 1 to 3650."))
    if "customer_number_pattern" in values:
        try:
            check_pattern(values["customer_number_pattern"] or "")
        except ValidationError as exc:
            errors.setdefault("customer_number_pattern", []).extend(exc.messages)
    start, end = values.get("work_start"), values.get("work_end")
    for name, value in (("work_start", start), ("work_end", end)):
        if name in values and not isinstance(value, datetime.time):
            error(name, _("Enter a valid time."))
    if isinstance(start, datetime.time) and isinstance(end, datetime.time) and end <= start:
        error("work_end", _("The working day must end after it starts."))
    if values.get("admin_email"):
        try:
            validate_email(values["admin_email"])
        except ValidationError:
            error("admin_email", _("Enter a valid e-mail address."))
    if "currency" in values and not re.fullmatch(r"[A-Z]{3}", values["currency"] or ""):
        error("currency", _("Enter a three-letter currency code in capitals, such as CNY."))
    if "company_name" in values and len(values["company_name"] or "") > 200:
        error("company_name", _("Enter at most 200 characters."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def update_parameters(*, user, version: int | None = None, **changes) -> SystemParameters:
    """Change system parameters; they take effect in every process at once (no restart).

    ``version`` is the one the editor loaded: a stale one is refused. ``logo`` may be an upload
    (checked), ``False`` or ``None`` to remove the logo, or left out to keep it.
    """
    load_parameters()  # created lazily: the row may not exist yet
    params = SystemParameters.objects.select_for_update().get(pk=1)
    if version is not None and version != params.version:
        raise StaleObjectError(params)
    logo = changes.pop("logo", ...)
    if logo is not ...:
        changes["logo"] = logo
    # Validate the result, not only the changes: a new start must still be before the old end.
    merged = {name: getattr(params, name) for name in PARAMETER_FIELDS if name != "logo"}
    merged.update({k: v for k, v in changes.items() if k != "logo"})
    validate_parameters({**merged, **({"logo": None} if "logo" in changes else {})})
    if isinstance(logo, UploadedFile):
        check_logo(logo)
    for name, value in changes.items():
        if name == "logo":
            continue
        setattr(params, name, value)
    old_logo = params.logo.name if params.logo else ""
    if isinstance(logo, UploadedFile):
        params.logo.save(logo.name, logo, save=False)
    elif logo is None or logo is False:
        params.logo = ""
    if user is not None:
        params.updated_by = user
    new_logo = params.logo.name if params.logo else ""
    # BaseModel's audit cannot serialise a FieldFile: record the logo change by name instead.
    params._loaded_values["logo"] = new_logo
    params.save()
    if old_logo != new_logo:
        AuditLog.record(params, AuditLog.Action.UPDATE, {"logo": [old_logo, new_logo]})
    if old_logo and old_logo != new_logo:
        storage = params.logo.storage
        transaction.on_commit(lambda: storage.delete(old_logo))
    PARAMETERS.invalidate()
    return params


# --- Holidays and make-up working days (调休) ---------------------------------------------------


@transaction.atomic
def save_holiday(*, holiday: Holiday, user=None) -> Holiday:
    """Create or change a holiday or make-up day; working-time clocks see it at once."""
    holiday.full_clean(exclude=["created_by", "updated_by"])
    holiday.save()
    return holiday


@transaction.atomic
def import_holidays(*, rows: list[tuple[datetime.date, str, str]]) -> int:
    """Create or update holidays and make-up days from (date, kind, name) rows; idempotent.

    Returns the number of rows created or changed. Used by the demo (``CHINA_2026_HOLIDAYS``) and
    for loading the official calendar once a year.
    """
    existing = {h.date: h for h in Holiday.objects.filter(date__in=[r[0] for r in rows])}
    changed = 0
    for date, kind, name in rows:
        if kind not in Holiday.Kind.values:
            raise ValidationError(_("Unknown kind “%(kind)s”.") % {"kind": kind})
        holiday = existing.get(date)
        if holiday is None:
            holiday = Holiday(date=date, kind=kind, name=name)
        elif holiday.kind == kind and holiday.name == name:
            continue
        else:
            holiday.kind, holiday.name = kind, name
        holiday.save()
        existing[date] = holiday
        changed += 1
    return changed


def _days(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    return [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]


def _rows(
    kind: str, name: str, start: tuple[int, int, int], end: tuple[int, int, int]
) -> list[tuple[datetime.date, str, str]]:
    return [(day, kind, name) for day in _days(datetime.date(*start), datetime.date(*end))]


_H, _W = Holiday.Kind.HOLIDAY.value, Holiday.Kind.WORKDAY.value

#: China's 2026 public holidays and make-up working days (国务院办公厅 2026 年部分节假日安排).
CHINA_2026_HOLIDAYS: list[tuple[datetime.date, str, str]] = [
    *_rows(_H, "元旦", (2026, 1, 1), (2026, 1, 3)),
    *_rows(_W, "元旦调休", (2026, 1, 4), (2026, 1, 4)),
    *_rows(_W, "春节调休", (2026, 2, 14), (2026, 2, 14)),
    *_rows(_H, "春节", (2026, 2, 15), (2026, 2, 23)),
    *_rows(_W, "春节调休", (2026, 2, 28), (2026, 2, 28)),
    *_rows(_H, "清明节", (2026, 4, 4), (2026, 4, 6)),
    *_rows(_H, "劳动节", (2026, 5, 1), (2026, 5, 5)),
    *_rows(_W, "劳动节调休", (2026, 5, 9), (2026, 5, 9)),
    *_rows(_H, "端午节", (2026, 6, 19), (2026, 6, 21)),
    *_rows(_W, "国庆节调休", (2026, 9, 20), (2026, 9, 20)),
    *_rows(_H, "中秋节", (2026, 9, 25), (2026, 9, 27)),
    *_rows(_H, "国庆节", (2026, 10, 1), (2026, 10, 7)),
    *_rows(_W, "国庆节调休", (2026, 10, 10), (2026, 10, 10)),
]


def is_working_day(date: datetime.date) -> bool:
    """A working weekday that is not a holiday, or a make-up working day (调休) on a weekend."""
    kind = get_holidays().get(date)
    if kind == Holiday.Kind.HOLIDAY:
        return False
    if kind == Holiday.Kind.WORKDAY:
        return True
    return str(date.isoweekday()) in get_params().work_weekdays


def working_minutes_between(start: datetime.datetime, end: datetime.datetime) -> int:
    """Working minutes from ``start`` to ``end`` (for SLA clocks): only inside working hours of
    working days. Aware datetimes are taken in the local time zone; 0 when ``end`` <= ``start``."""
    from django.utils import timezone

    if end <= start:
        return 0
    if timezone.is_aware(start):
        start = timezone.localtime(start).replace(tzinfo=None)
    if timezone.is_aware(end):
        end = timezone.localtime(end).replace(tzinfo=None)
    params = get_params()
    holidays = get_holidays()
    weekdays = params.work_weekdays
    total = datetime.timedelta()
    for day in _days(start.date(), end.date()):
        kind = holidays.get(day)
        if kind == Holiday.Kind.HOLIDAY:
            continue
        if kind != Holiday.Kind.WORKDAY and str(day.isoweekday()) not in weekdays:
            continue
        opens = datetime.datetime.combine(day, params.work_start)
        closes = datetime.datetime.combine(day, params.work_end)
        lo, hi = max(opens, start), min(closes, end)
        if hi > lo:
            total += hi - lo
    return int(total.total_seconds() // 60)


# --- Dictionaries -------------------------------------------------------------------------------


@transaction.atomic
def save_dictionary_item(*, item: DictionaryItem, user=None) -> DictionaryItem:
    """Create or change a dictionary entry; choice lists everywhere see it at once."""
    from ..params import dictionaries

    if item._state.adding and item.dictionary not in dictionaries:
        raise ValidationError(
            {
                "dictionary": _("No module declares a dictionary “%(code)s”.")
                % {"code": item.dictionary}
            }
        )
    item.full_clean(exclude=["created_by", "updated_by"])
    item.save()
    return item
