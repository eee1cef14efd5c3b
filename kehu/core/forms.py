"""Base form: carries the record's ``version`` so a stale save is refused, and knows the user."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelFormMetaclass
from django.utils.translation import gettext_lazy as _

from .customfields import (
    clean_custom_values,
    definitions,
    form_field,
    form_initial,
    is_opted_in,
)
from .dates import add_date_validator
from .errors import StaleObjectError
from .pickers import apply_pickers


class PickerFormMetaclass(ModelFormMetaclass):
    """Runs :func:`kehu.core.pickers.apply_pickers` once the form's whole ``__init__`` (the
    subclass's included) has run: a relation field added or narrowed there gets its picker."""

    def __call__(cls, *args, **kwargs):
        form = super().__call__(*args, **kwargs)
        apply_pickers(form, form.user)
        return form


class BaseModelForm(forms.ModelForm, metaclass=PickerFormMetaclass):
    """Every date field validates the sane range (``core.dates``); an edit must carry the
    ``version`` it was opened at — without it a save would silently overwrite whatever others
    changed in between. Every relation to a registered type (people included) is a searchable
    picker (``core.pickers``), not a ``<select>`` of every row."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if user is not None:
            from .registry import find_object_type

            ot = find_object_type(self._meta.model)
            for name in ot.hidden_for(user) if ot else ():
                self.fields.pop(name, None)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        self.add_custom_fields()
        for name, field in self.fields.items():
            if isinstance(field, forms.DateField | forms.DateTimeField):
                add_date_validator(field)
            # Money is stored with 6 decimals; show 1500 rather than 1500.000000 when editing.
            if isinstance(field, forms.DecimalField) and isinstance(
                self.initial.get(name), Decimal
            ):
                value = self.initial[name]
                self.initial[name] = (
                    value.quantize(Decimal(1))
                    if value == value.to_integral()
                    else value.normalize()
                )
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control")

    def add_custom_fields(self) -> None:
        """A form field per active custom field of the model (opted in with
        ``CustomFieldsMixin``), named ``custom__<code>``, after the model's own fields."""
        self.custom_definitions = []
        if not is_opted_in(self._meta.model):
            return
        self.fields.pop("custom", None)
        values = self.instance.custom or {}
        for defn in definitions(self._meta.model):
            current = values.get(defn.code)
            self.fields[defn.param] = form_field(defn, current)
            if self.instance.pk:
                self.initial[defn.param] = form_initial(defn, current)
            elif defn.default is not None:
                self.initial.setdefault(defn.param, form_initial(defn, defn.default))
            self.custom_definitions.append(defn)

    @property
    def first_custom_field(self) -> str | None:
        """Where the form template puts the "Custom fields" heading."""
        for defn in self.custom_definitions:
            if defn.param in self.fields:
                return defn.param
        return None

    def clean(self):
        data = super().clean()
        version = data.get("version")
        if self.instance.pk and version is None and "version" not in self.errors:
            # A hidden field's own error would not show: say it above the form.
            raise ValidationError(
                _(
                    "The form is missing the record's version. Reload the page and apply your "
                    "changes again."
                ),
                code="version_required",
            )
        if self.instance.pk and version is not None and version != self.instance.version:
            raise StaleObjectError(self.instance)
        if self.custom_definitions:
            values = {
                d.code: data.get(d.param)
                for d in self.custom_definitions
                if d.param in data and d.param not in self.errors
            }
            try:
                self.custom_values = clean_custom_values(
                    self._meta.model,
                    values,
                    existing=self.instance.custom,
                    creating=self.instance.pk is None,
                )
            except ValidationError as exc:
                for code, errors in exc.message_dict.items():
                    name = f"custom__{code}"
                    if name not in self.errors:
                        self.add_error(name if name in self.fields else None, errors)
        return data

    def action_data(self) -> dict:
        """What the object type's create/update action receives (``core.saving``): the values
        of the form's model fields as a model form would set them, many-to-many fields and
        the custom values. A form with more to say (an initial password, a new owner) adds
        its keys here; the form itself saves nothing."""
        from django.db.models import FileField
        from django.forms.models import fields_for_model

        opts = self._meta.model._meta
        names = set(fields_for_model(self._meta.model, self._meta.fields, self._meta.exclude))
        data = {}
        for f in [*opts.concrete_fields, *opts.many_to_many]:
            if f.name not in names or f.name not in self.cleaned_data or f.name == "version":
                continue
            if isinstance(f, FileField):  # as construct_instance stored it
                data[f.name] = getattr(self.instance, f.name)
                continue
            omitted = self[f.name].field.widget.value_omitted_from_data(
                self.data, self.files, self.add_prefix(f.name)
            )
            if f.has_default() and omitted and self.cleaned_data[f.name] in f.empty_values:
                continue  # left to the model's default, as ``construct_instance`` does
            data[f.name] = self.cleaned_data[f.name]
        if self.custom_definitions and hasattr(self, "custom_values"):
            data["custom"] = self.custom_values
        return data

    def save(self, commit: bool = True):
        """Only the unsaved instance (``commit=False``): records are written by their object
        type's actions (``core.saving``), never by a form."""
        if commit:
            raise TypeError(
                "Save through the object type's actions (core.views.save_form), not form.save()."
            )
        obj = super().save(commit=False)
        if self.custom_definitions and hasattr(self, "custom_values"):
            obj.custom = self.custom_values
        return obj


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
