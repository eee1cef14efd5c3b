from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.forms import BaseModelForm

from ..models import ACTIVITY_FIELDS, Activity, Contact, Customer
from .customer import CustomerNumberField, _number

__all__ = ["ActivityForm", "QuickActivityForm"]

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ActivityForm(BaseModelForm):
    customer = CustomerNumberField(label=_("Customer"))

    class Meta:
        model = Activity
        fields = ACTIVITY_FIELDS
        widgets = {
            "start_at": DATETIME,
            "end_at": DATETIME,
            "commitment_due": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
            "outcome": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("start_at", "end_at"):
            self.fields[name].input_formats = [
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%d %H:%M:%S",
            ]
        # Activities are logged on customers the user may edit.
        customers = Customer.objects.all()
        if self.user is not None:
            customers = Customer.objects.editable_by(self.user)
        self.fields["customer"].queryset = customers
        customer_id = self.instance.customer_id
        if customer_id:
            self.initial["customer"] = _number(customer_id)
        number = self.data.get(self.add_prefix("customer")) if self.is_bound else None
        number = number or self.initial.get("customer")
        if number and not customer_id:
            customer_id = customers.filter(number=number).values_list("pk", flat=True).first()
        self.fields["contacts"].queryset = (
            Contact.objects.filter(customer_id=customer_id).only("id", "name").order_by("name")
            if customer_id
            else Contact.objects.none()
        )
        self.fields["contacts"].widget.attrs["size"] = 4
        self.fields["contacts"].help_text = _("Contacts of the chosen customer.")
        self._add_owner_field()

    def _add_owner_field(self) -> None:
        """Editing an activity: its owner can be changed to anyone the editor may assign to
        (``activity_assignees``); the field is left out when there is no one else to choose."""
        from django.db.models import Q

        from kehu.system.models import User

        from ..actions import activity_assignees

        if self.user is None or not self.instance.pk:
            return
        people = User.objects.filter(
            Q(pk__in=activity_assignees(self.user).values("pk")) | Q(pk=self.instance.owner_id)
        ).order_by("display_name", "username")
        if len(choices := list(people)) < 2:
            return
        field = forms.ModelChoiceField(
            label=_("Owner"),
            queryset=people,
            empty_label=None,
            help_text=_("Give the activity to a colleague; they are told in their inbox."),
        )
        field.choices = [(p.pk, str(p)) for p in choices]
        field.widget.attrs["class"] = "form-select"
        self.fields["owner"] = field
        self.initial["owner"] = self.instance.owner_id

    def action_data(self) -> dict:
        """The owner field gives the activity away (``reassign_activities``), never a plain
        field change."""
        data = super().action_data()
        data["reassign_to"] = self.cleaned_data.get("owner")
        return data


class QuickActivityForm(forms.Form):
    """The "log activity" form on the customer page: the essentials of what just happened."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Activity.Kind.choices)
    start_at = forms.DateTimeField(
        label=_("Time"),
        widget=DATETIME,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        required=False,
    )
    contacts = forms.ModelMultipleChoiceField(
        label=_("Contacts"), queryset=Contact.objects.none(), required=False
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    outcome = forms.CharField(
        label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 1}), required=False
    )
    commitment = forms.CharField(
        label=_("Commitment"),
        max_length=500,
        required=False,
        help_text=_("What was promised, e.g. “free delivery by Friday”."),
    )
    commitment_due = forms.DateField(label=_("Commitment due"), widget=DATE, required=False)

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["contacts"].queryset = Contact.objects.filter(customer=customer).order_by(
            "-is_primary", "name"
        )
        self.fields["contacts"].widget.attrs["size"] = 2
        for field in self.fields.values():
            widget = field.widget
            widget.attrs.setdefault(
                "class", "form-select" if isinstance(widget, forms.Select) else "form-control"
            )
            widget.attrs["class"] += (
                " form-control-sm" if "control" in widget.attrs["class"] else ""
            )
