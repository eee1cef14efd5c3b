"""Forms of the customer portal (sign-in, password, new request, comment) and the survey."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

__all__ = ["CommentForm", "PortalLoginForm", "PortalRequestForm", "SetPasswordForm", "SurveyForm"]

_INPUT = {"class": "form-control"}


class PortalLoginForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254, widget=forms.EmailInput(_INPUT))
    password = forms.CharField(
        label=_("Password"), max_length=128, strip=False, widget=forms.PasswordInput(_INPUT)
    )


class SetPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New password"), max_length=128, strip=False, widget=forms.PasswordInput(_INPUT)
    )
    confirm = forms.CharField(
        label=_("Repeat the password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(_INPUT),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("confirm"):
            self.add_error("confirm", _("The two passwords differ."))
        return data


class PortalRequestForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200, widget=forms.TextInput(_INPUT))
    category = forms.ChoiceField(
        label=_("Category"), required=False, widget=forms.Select({"class": "form-select"})
    )
    serial_number = forms.CharField(
        label=_("Serial number"), max_length=60, required=False, widget=forms.TextInput(_INPUT)
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=5000,
        widget=forms.Textarea({"class": "form-control", "rows": 5}),
    )

    def __init__(self, *args, **kwargs):
        from ..models._choices import category_choices

        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—"), *category_choices()]


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"),
        max_length=4000,
        widget=forms.Textarea({"class": "form-control", "rows": 3}),
    )


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label=pgettext_lazy("satisfaction survey", "Score"),
        coerce=int,
        choices=[(n, str(n)) for n in range(1, 6)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything you would like to tell us?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea({"class": "form-control", "rows": 4}),
    )
