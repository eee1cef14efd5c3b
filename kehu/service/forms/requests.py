"""Forms of requests, contracts, installed goods, SLA policies and agent profiles."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.forms import BaseModelForm

from ..models import AgentProfile, InstalledProduct, ServiceContract, ServiceRequest, SlaPolicy

__all__ = [
    "AgentProfileForm",
    "InstalledProductForm",
    "MoveForm",
    "ReassignForm",
    "ReplyForm",
    "ServiceContractForm",
    "ServiceRequestForm",
    "SlaPolicyForm",
]

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _visible(form, name: str, model, *, editable: bool = False) -> None:
    """Offer only records the user may see (or edit) in a relation field."""
    if name not in form.fields or form.user is None:
        return
    manager = model.objects
    form.fields[name].queryset = (
        manager.editable_by(form.user) if editable else manager.visible_to(form.user)
    )


class ServiceRequestForm(BaseModelForm):
    class Meta:
        model = ServiceRequest
        fields = [
            "customer",
            "contact",
            "channel",
            "type",
            "category",
            "priority",
            "product",
            "serial_number",
            "subject",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kehu.customers.models import Contact, Customer

        _visible(self, "customer", Customer)
        _visible(self, "contact", Contact)
        if "customer" in self.fields:
            # empty only on a request opened by an e-mail from an unknown sender: saving it
            # here means choosing its customer
            self.fields["customer"].required = True
        if "priority" in self.fields:
            self.fields["priority"].help_text = _(
                "Raised automatically for contract customers and complaints."
            )


class ServiceContractForm(BaseModelForm):
    class Meta:
        model = ServiceContract
        fields = ["customer", "level", "start_date", "end_date", "products", "notes"]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kehu.customers.models import Customer

        _visible(self, "customer", Customer)


class InstalledProductForm(BaseModelForm):
    class Meta:
        model = InstalledProduct
        fields = ["customer", "product", "serial_number", "installed_on", "warranty_end", "notes"]
        widgets = {
            "installed_on": DATE,
            "warranty_end": DATE,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kehu.customers.models import Customer

        _visible(self, "customer", Customer)


class SlaPolicyForm(BaseModelForm):
    class Meta:
        model = SlaPolicy
        fields = [
            "name",
            "level",
            "priority",
            "response_hours",
            "resolution_hours",
            "warn_percent",
            "is_active",
        ]


class AgentProfileForm(BaseModelForm):
    class Meta:
        model = AgentProfile
        fields = [
            "user",
            "categories",
            "products",
            "languages",
            "level",
            "availability",
            "max_load",
        ]


class MoveForm(forms.Form):
    """Move a request on; the resolution notes are needed to resolve or close it."""

    status = forms.ChoiceField(label=_("Status"), choices=ServiceRequest.Status.choices)
    resolution = forms.CharField(
        label=_("Resolution notes"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class ReassignForm(forms.Form):
    agent = forms.ModelChoiceField(label=_("Agent"), queryset=None)
    note = forms.CharField(
        label=_("Why"),
        required=False,
        max_length=200,
        widget=forms.TextInput({"class": "form-control"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kehu.system.models import User

        self.fields["agent"].queryset = User.objects.filter(
            is_active=True, agent_profile__isnull=False
        ).order_by("username")
        self.fields["agent"].widget.attrs["class"] = "form-select"


class ReplyForm(forms.Form):
    """An e-mail to the customer from the request page."""

    to = forms.CharField(
        label=_("To"),
        max_length=1000,
        widget=forms.TextInput({"class": "form-control form-control-sm", "autocomplete": "off"}),
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=300,
        required=False,
        widget=forms.TextInput({"class": "form-control form-control-sm"}),
    )
    text = forms.CharField(
        label=_("Message"),
        max_length=20000,
        widget=forms.Textarea({"class": "form-control form-control-sm", "rows": 4}),
    )
    wait = forms.BooleanField(
        label=_("Then wait on the customer (the SLA clock pauses until they answer)"),
        required=False,
        widget=forms.CheckboxInput({"class": "form-check-input"}),
    )
