"""Base form: carries the record's ``version`` so a stale save is refused, and knows the user."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .errors import StaleObjectError


class BaseModelForm(forms.ModelForm):
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
        for name, field in self.fields.items():
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

    def clean(self):
        data = super().clean()
        version = data.get("version")
        if self.instance.pk and version is not None and version != self.instance.version:
            raise StaleObjectError(self.instance)
        return data

    def save(self, commit: bool = True):
        obj = super().save(commit=False)
        version = self.cleaned_data.get("version")
        if obj.pk and version is not None:
            obj.version = version  # the save is conditional on this version
        if commit:
            obj.save()
            self.save_m2m()
        return obj


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
