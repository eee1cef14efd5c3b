"""Custom fields (自定义字段): administrator-defined fields of an object type, without a migration.

Definitions are ``kehu.system.models.CustomField`` rows, read through a versioned cache
(``kehu.system.customfields``) so forms, lists and serializers cost no query once warm. Values live
in the record's ``custom`` JSON column (:class:`kehu.core.models.CustomFieldsMixin`), stored as
plain JSON: text and choice codes as strings, numbers as JSON numbers, dates as ``YYYY-MM-DD``,
multiple choices as a list of codes, yes/no as booleans.

Everything generic lives here and is used by the base form, filter set, serializer, list, detail,
export, global search and import: one validation function (:func:`clean_custom_values`), one
text coercion for imports (:func:`coerce_custom_value`), one display function (:meth:`display`).
"""

from __future__ import annotations

import contextlib
import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import DecimalField, Q, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.dispatch import Signal
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from .dates import validate_date_range

#: Sent after a definition was created, changed or deleted (on commit), with ``object_type``
#: (label) and ``code``: e.g. the search module re-indexes when ``searchable`` changed.
definitions_changed = Signal()

TEXT, NUMBER, DATE, CHOICE, MULTICHOICE, BOOLEAN = (
    "text",
    "number",
    "date",
    "choice",
    "multichoice",
    "boolean",
)
TEXT_MAX_LENGTH = 2000
#: Number range the JSON values keep (and the database cast handles) on both databases.
NUMBER_LIMIT = Decimal("1e15")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%d.%m.%Y")
TRUE_WORDS = {"1", "true", "yes", "y", "t", "x", "是", "真", "对", "✓", "√"}
FALSE_WORDS = {"0", "false", "no", "n", "f", "否", "假", "不", "✗", "×"}
LIST_SEPARATORS = re.compile(r"\s*[,，;；、|]\s*")


def _english() -> bool:
    return (get_language() or "zh-hans").startswith("en")


@dataclass(frozen=True)
class Choice:
    code: str
    label_zh: str
    label_en: str = ""

    def label(self) -> str:
        return (self.label_en or self.label_zh) if _english() else self.label_zh


@dataclass(frozen=True)
class Definition:
    """A custom field definition as cached (immutable, picklable); see ``CustomField``."""

    id: int
    object_type: str
    code: str
    label_zh: str
    label_en: str
    kind: str
    choices: tuple[Choice, ...] = ()
    required: bool = False
    default: Any = None
    help_text: str = ""
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    order: int = 0
    is_active: bool = True
    show_in_list: bool = False
    filterable: bool = False
    searchable: bool = False

    @property
    def key(self) -> str:
        """The column name in lists, exports and import mappings: ``custom.<code>``."""
        return f"custom.{self.code}"

    @property
    def param(self) -> str:
        """The form field and filter/query parameter name: ``custom__<code>``."""
        return f"custom__{self.code}"

    def label(self) -> str:
        return (self.label_en or self.label_zh) if _english() else self.label_zh

    def choice_label(self, code: str) -> str:
        """The label of a choice in the user's language; a code no longer listed shows as is."""
        for choice in self.choices:
            if choice.code == code:
                return choice.label()
        return str(code)

    def display(self, value: Any) -> Any:
        """The value for a page, list cell or export (choice labels, dates as dates)."""
        if value is None or value == "" or value == []:
            return None
        if self.kind == CHOICE:
            return self.choice_label(value)
        if self.kind == MULTICHOICE:
            values = value if isinstance(value, list) else [value]
            return ", ".join(self.choice_label(v) for v in values)
        if self.kind == DATE:
            try:
                return datetime.date.fromisoformat(str(value))
            except ValueError:
                return str(value)
        if self.kind == NUMBER:
            try:
                return Decimal(str(value))
            except InvalidOperation:
                return str(value)
        if self.kind == BOOLEAN:
            return bool(value)
        return value

    def search_text(self, value: Any) -> str:
        """Words a search should find the value by: text, and choice codes with both labels."""
        if value is None or value == "" or value == []:
            return ""
        if self.kind in (CHOICE, MULTICHOICE):
            codes = value if isinstance(value, list) else [value]
            words = []
            for code in codes:
                words.append(str(code))
                for choice in self.choices:
                    if choice.code == code:
                        words += [choice.label_zh, choice.label_en]
            return " ".join(w for w in words if w)
        if self.kind == BOOLEAN:
            return ""
        return str(value)


# --- Definitions --------------------------------------------------------------------------------


def is_opted_in(model) -> bool:
    """A model class with ``CustomFieldsMixin`` (its ``has_custom_fields`` flag: this module is
    below ``core.models``, which calls it from ``CustomFieldsMixin.clean``)."""
    return isinstance(model, type) and getattr(model, "has_custom_fields", False) is True


def _label(model_or_label) -> str:
    if isinstance(model_or_label, str):
        return model_or_label
    return model_or_label._meta.label_lower


def definitions(model_or_label, *, include_inactive: bool = False) -> list[Definition]:
    """The definitions of an object type in display order (cached: no query once warm)."""
    from .providers import custom_field_definitions

    defs = custom_field_definitions().get(_label(model_or_label), ())
    return [d for d in defs if include_inactive or d.is_active]


def definition(model_or_label, code: str) -> Definition | None:
    for d in definitions(model_or_label, include_inactive=True):
        if d.code == code:
            return d
    return None


# --- Values: one validation for forms, API, import ----------------------------------------------


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def to_python(defn: Definition, value: Any, *, existing: Any = None) -> Any:
    """The stored JSON form of one value, or ``None`` for empty; raises a translated
    :class:`ValidationError`. ``existing`` is the record's current value: a choice removed
    from the list stays valid on the records that hold it."""
    if _empty(value):
        return None
    kind = defn.kind
    if kind == TEXT:
        if not isinstance(value, str | int | float | Decimal) or isinstance(value, bool):
            raise ValidationError(_("Enter text."), code="invalid")
        text = str(value).strip()
        if len(text) > TEXT_MAX_LENGTH:
            raise ValidationError(
                _("Ensure this value has at most %(max)s characters.") % {"max": TEXT_MAX_LENGTH},
                code="max_length",
            )
        return text
    if kind == NUMBER:
        if isinstance(value, bool):
            raise ValidationError(_("Enter a number."), code="invalid")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationError(_("Enter a number."), code="invalid") from None
        if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
            raise ValidationError(_("Enter a number."), code="invalid")
        if defn.min_value is not None and number < defn.min_value:
            raise ValidationError(
                _("Ensure this value is greater than or equal to %(limit_value)s.")
                % {"limit_value": _plain(defn.min_value)},
                code="min_value",
            )
        if defn.max_value is not None and number > defn.max_value:
            raise ValidationError(
                _("Ensure this value is less than or equal to %(limit_value)s.")
                % {"limit_value": _plain(defn.max_value)},
                code="max_value",
            )
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == DATE:
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = datetime.date.fromisoformat(value.strip())
        if isinstance(value, datetime.date):
            validate_date_range(value)
            return value.isoformat()
        raise ValidationError(_("Enter a valid date."), code="invalid")
    if kind == CHOICE:
        codes = {c.code for c in defn.choices}
        if not isinstance(value, str) or (value not in codes and value != existing):
            raise ValidationError(
                _("Select a valid choice. %(value)s is not one of the available choices.")
                % {"value": value},
                code="invalid_choice",
            )
        return value
    if kind == MULTICHOICE:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            raise ValidationError(_("Enter a list of values."), code="invalid")
        codes = {c.code for c in defn.choices} | set(existing or [])
        result = []
        for item in value:
            if not isinstance(item, str) or item not in codes:
                raise ValidationError(
                    _("Select a valid choice. %(value)s is not one of the available choices.")
                    % {"value": item},
                    code="invalid_choice",
                )
            if item not in result:
                result.append(item)
        return result or None
    if kind == BOOLEAN:
        if not isinstance(value, bool):
            raise ValidationError(
                _("“%(value)s” value must be either True or False.") % {"value": value},
                code="invalid",
            )
        return value
    raise ValidationError(_("Unknown field kind."), code="invalid")


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f") if number == number else str(number)


def clean_custom_values(
    model_or_label,
    values: dict[str, Any],
    *,
    existing: dict[str, Any] | None = None,
    creating: bool = False,
    enforce_required: bool = True,
) -> dict[str, Any]:
    """Check ``values`` ({code: value}) against the definitions and merge them into ``existing``.

    Keys not given keep their current value; an empty value removes the key. Values of inactive
    fields are kept and cannot be changed; unknown codes are refused. On ``creating``, defaults
    fill fields not given. Returns the new complete dict; raises ``ValidationError({code:
    [message]})`` naming every bad field, so nothing is half-written.
    """
    if not isinstance(values, dict):
        raise ValidationError(_("Enter an object of custom field values."), code="invalid")
    existing = dict(existing or {})
    result = dict(existing)
    known = {d.code: d for d in definitions(model_or_label, include_inactive=True)}
    errors: dict[str, list] = {}
    for code, value in values.items():
        defn = known.get(code)
        if defn is None:
            if code in existing and value == existing[code]:
                continue
            errors[code] = [
                ValidationError(_("There is no custom field “%(code)s”.") % {"code": code})
            ]
            continue
        if not defn.is_active:
            if value != existing.get(code) and not (_empty(value) and code not in existing):
                errors[code] = [ValidationError(_("This field is inactive and cannot be changed."))]
            continue
        try:
            cleaned = to_python(defn, value, existing=existing.get(code))
        except ValidationError as exc:
            errors[code] = [exc]
            continue
        if cleaned is None:
            result.pop(code, None)
        else:
            result[code] = cleaned
    for defn in known.values():
        if not defn.is_active or defn.code in errors:
            continue
        if creating and defn.code not in values and defn.default is not None:
            # a default the definition no longer accepts is simply not applied
            with contextlib.suppress(ValidationError):
                result[defn.code] = to_python(defn, defn.default)
        if enforce_required and defn.required and _empty(result.get(defn.code)):
            errors[defn.code] = [ValidationError(_("This field is required."), code="required")]
    if errors:
        raise ValidationError(errors)
    return result


def check_custom_values(obj) -> None:
    """Model-level check (``full_clean``): the values that changed since loading are valid.

    Required fields are enforced where people enter data (forms, API, import), not here, so
    a background change (handover, merge) of a record made before a field became required
    still saves.
    """
    loaded = (getattr(obj, "_loaded_values", None) or {}).get("custom") or {}
    current = obj.custom or {}
    if not isinstance(current, dict):
        raise ValidationError({"custom": _("Enter an object of custom field values.")})
    changed = {k: v for k, v in current.items() if loaded.get(k) != v}
    removed = {k: None for k in loaded if k not in current}
    if not changed and not removed:
        return
    try:
        obj.custom = clean_custom_values(
            type(obj), {**changed, **removed}, existing=loaded, enforce_required=False
        )
    except ValidationError as exc:
        names = {d.code: d.label() for d in definitions(type(obj), include_inactive=True)}
        raise ValidationError(
            {
                "custom": [
                    f"{names.get(code, code)}: {message}"
                    for code, messages in exc.message_dict.items()
                    for message in messages
                ]
            }
        ) from None


# --- Import ------------------------------------------------------------------------------------


def custom_field_targets(model) -> list[tuple[str, str]]:
    """Import mapping targets: ``[("custom.<code>", label), ...]`` of the active fields."""
    return [(d.key, d.label()) for d in definitions(model)]


def _parse_date(text: str) -> datetime.date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def coerce_custom_value(defn: Definition, raw_text: Any) -> Any:
    """A value read from an import file (text, or a number/date from XLSX) in stored form.

    Choices match a code or a label in either language (case-insensitive); lists split on
    , ， ; 、 |; numbers may carry thousands separators; dates in common Chinese and ISO forms;
    yes/no from 是/否, true/false, 1/0. Empty gives ``None``. Raises a translated
    ``ValidationError`` the import puts in its per-row error report.
    """
    if raw_text is None:
        return None
    if isinstance(raw_text, datetime.datetime | datetime.date) and defn.kind == DATE:
        return to_python(defn, raw_text)
    if isinstance(raw_text, bool | int | float | Decimal) and defn.kind in (NUMBER, BOOLEAN):
        if defn.kind == BOOLEAN:
            raw_text = str(int(raw_text))
        else:
            return to_python(defn, raw_text)
    text = str(raw_text).strip()
    if not text:
        return None
    kind = defn.kind
    if kind == NUMBER:
        return to_python(defn, text.replace(",", "").replace("，", "").replace(" ", ""))
    if kind == DATE:
        parsed = _parse_date(text.split(" ")[0].split("T")[0])
        if parsed is None:
            raise ValidationError(_("Enter a date such as 2026-03-31."), code="invalid")
        validate_date_range(parsed)
        return parsed.isoformat()
    if kind == BOOLEAN:
        word = text.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValidationError(_("Enter yes or no (是/否)."), code="invalid")
    if kind in (CHOICE, MULTICHOICE):
        lookup = {}
        for c in defn.choices:
            for key in (c.code, c.label_zh, c.label_en):
                if key:
                    lookup.setdefault(key.strip().lower(), c.code)
        parts = [text] if kind == CHOICE else [p for p in LIST_SEPARATORS.split(text) if p]
        codes = []
        for part in parts:
            code = lookup.get(part.lower())
            if code is None:
                raise ValidationError(
                    _("Select a valid choice. %(value)s is not one of the available choices.")
                    % {"value": part},
                    code="invalid_choice",
                )
            codes.append(code)
        return to_python(defn, codes[0] if kind == CHOICE else codes)
    return to_python(defn, text)


# --- Search ------------------------------------------------------------------------------------


def custom_search_text(obj) -> str:
    """The searchable custom values of a record as one string (for a maintained search column)."""
    values = getattr(obj, "custom", None) or {}
    parts = [
        d.search_text(values.get(d.code))
        for d in definitions(type(obj))
        if d.searchable and d.code in values
    ]
    return " ".join(p for p in parts if p)


def custom_search_q(model, text: str) -> Q:
    """``Q`` matching ``text`` in any searchable custom field (substring, case-insensitive)."""
    condition = Q()
    for d in definitions(model):
        if d.searchable and d.kind != BOOLEAN:
            condition |= Q(**{f"custom__{d.code}__icontains": text})
    return condition


# --- Forms -------------------------------------------------------------------------------------


def form_field(defn: Definition, current: Any = None) -> forms.Field:
    """The form field for a definition; a choice removed from the list stays selectable on the
    records that hold it (shown as its code)."""
    common = {
        "label": defn.label(),
        "required": defn.required and defn.kind != BOOLEAN,
        "help_text": defn.help_text,
    }
    if defn.kind == NUMBER:
        return forms.DecimalField(
            min_value=defn.min_value,
            max_value=defn.max_value,
            max_digits=22,
            decimal_places=6,
            widget=forms.NumberInput(attrs={"step": "any"}),
            **common,
        )
    if defn.kind == DATE:
        return forms.DateField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common
        )
    if defn.kind in (CHOICE, MULTICHOICE):
        choices = [(c.code, c.label()) for c in defn.choices]
        listed = {c.code for c in defn.choices}
        held = current if isinstance(current, list) else [current] if current else []
        choices += [(code, code) for code in held if code not in listed]
        if defn.kind == CHOICE:
            return forms.ChoiceField(choices=[("", "---------"), *choices], **common)
        return forms.MultipleChoiceField(choices=choices, **common)
    if defn.kind == BOOLEAN:
        return forms.BooleanField(**common)
    return forms.CharField(max_length=TEXT_MAX_LENGTH, **common)


def form_initial(defn: Definition, value: Any) -> Any:
    if value is None:
        return None
    if defn.kind == NUMBER:
        return Decimal(str(value))
    return value


# --- Filters -----------------------------------------------------------------------------------


def text_expression(code: str):
    """The value as text (a list as its JSON text) with plain text lookups on both databases."""
    return Cast(KT(f"custom__{code}"), TextField())


def number_expression(code: str):
    """The value as a decimal on both databases (JSON numbers compare as numbers, not text)."""
    return Cast(KT(f"custom__{code}"), DecimalField(max_digits=30, decimal_places=10))


def filters_for(defn: Definition) -> dict[str, Any]:
    """The django-filter filters of a filterable definition, by parameter name."""
    import django_filters

    label = defn.label()
    param, code = defn.param, defn.code
    date_widget = forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"})

    def text(qs, name, value):
        return qs.filter(**{f"custom__{code}__icontains": value}) if value else qs

    def exact(qs, name, value):
        if value in (None, ""):
            return qs
        return qs.filter(**{f"custom__{code}": value})

    def rng(lookup, number):
        def method(qs, name, value):
            if value in (None, ""):
                return qs
            if number:
                alias = f"_cf_{code}"
                return qs.alias(**{alias: number_expression(code)}).filter(
                    **{f"{alias}__{lookup}": value}
                )
            # ISO dates compare correctly as text
            return qs.alias(**{f"_cf_{code}": text_expression(code)}).filter(
                **{f"_cf_{code}__{lookup}": value.isoformat()}
            )

        return method

    if defn.kind == TEXT:
        return {param: django_filters.CharFilter(label=label, method=text)}
    if defn.kind == CHOICE:
        return {
            param: django_filters.ChoiceFilter(
                label=label,
                choices=[(c.code, c.label()) for c in defn.choices],
                empty_label=gettext_lazy("All"),
                method=exact,
            )
        }
    if defn.kind == MULTICHOICE:

        def multi(qs, name, value):
            # The stored list as JSON text ('["a", "b"]') on both databases; codes are slugs.
            if not value:
                return qs
            return qs.alias(**{f"_cf_{code}": text_expression(code)}).filter(
                **{f"_cf_{code}__contains": f'"{value}"'}
            )

        return {
            param: django_filters.ChoiceFilter(
                label=label,
                choices=[(c.code, c.label()) for c in defn.choices],
                empty_label=gettext_lazy("All"),
                method=multi,
            )
        }
    if defn.kind == BOOLEAN:
        return {
            param: django_filters.BooleanFilter(
                label=label,
                method=exact,
                widget=forms.Select(
                    choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))],
                    attrs={"class": "form-select form-select-sm"},
                ),
            )
        }
    if defn.kind == NUMBER:
        return {
            f"{param}__gte": django_filters.NumberFilter(
                label=_("%(field)s from") % {"field": label}, method=rng("gte", True)
            ),
            f"{param}__lte": django_filters.NumberFilter(
                label=_("%(field)s to") % {"field": label}, method=rng("lte", True)
            ),
        }
    if defn.kind == DATE:
        return {
            f"{param}__gte": django_filters.DateFilter(
                label=_("%(field)s from") % {"field": label},
                method=rng("gte", False),
                widget=date_widget,
            ),
            f"{param}__lte": django_filters.DateFilter(
                label=_("%(field)s to") % {"field": label},
                method=rng("lte", False),
                widget=date_widget,
            ),
        }
    return {}


# --- Sorting -----------------------------------------------------------------------------------


def _label_sort_key(label: str) -> tuple:
    """Alphabetical order of choice labels: Chinese by pinyin, then the label itself."""
    from pypinyin import lazy_pinyin

    return ("".join(lazy_pinyin(label)).lower(), label)


def sort_expressions(defn: Definition):
    """``(empty, value)`` expressions that order records by a custom field on both databases:
    ``empty`` is 1 for a missing or empty value (sorted last in both directions), 0 otherwise;
    ``value`` is the number (numbers sort numerically), the ISO date text (chronologically), the
    rank of the choice's label in the user's language (alphabetically) or the text; ``NULL``
    for empty values, so the records without a value follow each other by id."""
    from django.db.models import Case, IntegerField, Value, When
    from django.db.models.lookups import Exact, IsNull

    text = text_expression(defn.code)
    empty = IsNull(text, True) | Exact(text, "") | Exact(text, "[]")
    if defn.kind == NUMBER:
        value, output = number_expression(defn.code), DecimalField(max_digits=30, decimal_places=10)
    elif defn.kind == CHOICE:
        ranked = sorted(defn.choices, key=lambda c: _label_sort_key(c.label()))
        value = Case(
            *[When(Exact(text, c.code), then=Value(rank)) for rank, c in enumerate(ranked)],
            default=Value(len(ranked)),  # a code no longer listed: after the listed ones
            output_field=IntegerField(),
        )
        output = IntegerField()
    else:  # text, ISO dates, yes/no (false before true), multiple choices as their JSON text
        value, output = text, TextField()
    return (
        Case(When(empty, then=Value(1)), default=Value(0), output_field=IntegerField()),
        Case(When(empty, then=Value(None)), default=value, output_field=output),
    )


def sort_value_from_cursor(defn: Definition, value: Any) -> Any:
    """A sort value read back from a page cursor (JSON) in the type the database compares."""
    if value is None:
        return None
    if defn.kind == NUMBER:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    if defn.kind == CHOICE:
        return int(value) if isinstance(value, int | str) and str(value).isdigit() else None
    return str(value)
