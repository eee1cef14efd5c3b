"""The endpoint form: object types and events as check boxes; saving goes through the action."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.forms import BaseModelForm

from .actions import object_type_choices
from .models import WebhookEndpoint, WebhookEvent


class WebhookEndpointForm(BaseModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    object_types = forms.MultipleChoiceField(
        label=_("Object types"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for every object type."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "object_types", "events", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_types"].choices = object_type_choices()
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("events", [WebhookEvent.CREATED, WebhookEvent.UPDATED])
