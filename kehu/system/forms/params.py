"""System set-up forms: parameters, holidays, dictionary entries."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kehu.core.forms import BaseModelForm

from ..models import DictionaryItem, Holiday, SystemParameters
from ..params import dictionaries

#: The sections of the parameter page, in order: (title, field names).
PARAMETER_SECTIONS = [
    (_("Company"), ["company_name", "logo", "admin_email", "currency"]),
    (
        _("Reminders"),
        [
            "receivable_reminder_days",
            "contract_renewal_days",
            "care_reminder_days",
            "care_suppression_days",
        ],
    ),
    (_("Recycle bin"), ["recycle_retention_days"]),
    (_("Numbering"), ["customer_number_pattern"]),
    (
        _("Decimal places"),
        [
            "quote_amount_decimals",
            "quote_quantity_decimals",
            "contract_amount_decimals",
            "contract_quantity_decimals",
            "order_amount_decimals",
            "order_quantity_decimals",
            "product_amount_decimals",
            "product_quantity_decimals",
        ],
    ),
    (_("Working time"), ["work_start", "work_end", "work_weekdays"]),
]


#: The working weekdays as boxes to tick (ISO numbers, Monday = 1), stored as "12345".
WEEKDAYS = [
    ("1", _("Mon")),
    ("2", _("Tue")),
    ("3", _("Wed")),
    ("4", _("Thu")),
    ("5", _("Fri")),
    ("6", _("Sat")),
    ("7", _("Sun")),
]


class WeekdaysField(forms.MultipleChoiceField):
    """Ticked weekdays ↔ the parameter's digit string ("12345": Monday to Friday)."""

    widget = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})

    def __init__(self, **kwargs):
        kwargs.pop("max_length", None)
        kwargs.pop("empty_value", None)
        super().__init__(choices=WEEKDAYS, **kwargs)

    def prepare_value(self, value):
        return list(value) if isinstance(value, str) else value

    def clean(self, value):
        return "".join(sorted(set(super().clean(value))))


class ParametersForm(BaseModelForm):
    """The parameter page; the rules live in ``actions.validate_parameters`` (shared with the API)."""

    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    work_weekdays = WeekdaysField(
        label=SystemParameters._meta.get_field("work_weekdays").verbose_name, required=False
    )

    class Meta:
        model = SystemParameters
        fields = [name for _title, names in PARAMETER_SECTIONS for name in names]
        widgets = {
            "work_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "work_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            # Not ClearableFileInput: it links to the file's public media URL; the logo is served
            # only through the login-protected view.
            "logo": forms.FileInput(attrs={"accept": ".png,.jpg,.jpeg,.webp"}),
        }

    def clean_logo(self):
        from ..actions.params import check_logo

        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "content_type"):  # a new upload, not the stored file
            check_logo(logo)
        return logo

    def clean(self):
        from ..actions.params import validate_parameters

        data = super().clean()
        values = {k: v for k, v in data.items() if k in self._meta.fields and k != "logo"}
        values = {k: v for k, v in values.items() if k not in self.errors}
        try:
            validate_parameters(values)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    if name in self.fields and name not in self.errors:
                        self.add_error(name, message)
                    elif name not in self.fields:
                        self.add_error(None, message)
        return data

    def changes(self) -> dict:
        """The cleaned values to hand to ``actions.update_parameters``."""
        changes = {name: self.cleaned_data[name] for name in self._meta.fields if name != "logo"}
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "content_type"):
            changes["logo"] = logo
        elif self.cleaned_data.get("remove_logo"):
            changes["logo"] = None
        return changes

    def sections(self):
        return [(title, [self[name] for name in names]) for title, names in PARAMETER_SECTIONS]


class HolidayForm(BaseModelForm):
    class Meta:
        model = Holiday
        fields = ["date", "kind", "name"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


def dictionary_code_choices():
    return [(code, d.label) for code, d in dictionaries.items()]


class DictionaryItemForm(BaseModelForm):
    class Meta:
        model = DictionaryItem
        fields = ["dictionary", "code", "label_zh", "label_en", "order", "color", "is_active"]
        widgets = {"color": forms.TextInput(attrs={"placeholder": "#1f77b4"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        known = dictionary_code_choices()
        current = self.instance.dictionary if self.instance.pk else None
        if current and current not in dict(known):  # a dictionary no module declares any more
            known.append((current, current))
        self.fields["dictionary"] = forms.ChoiceField(
            label=DictionaryItem._meta.get_field("dictionary").verbose_name,
            choices=known,
            widget=forms.Select(attrs={"class": "form-select"}),
        )

    def clean_color(self):
        return (self.cleaned_data.get("color") or "").lower()
