"""Forms of the leads area: validation only, the actions save."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import dictionary_of
from kehu.core.forms import BaseModelForm
from kehu.system.params import dictionary_choices

from ..models.leads import LEAD_FIELDS, Lead, LeadAssignmentRule, LeadScoringRule, WebForm


def offer_active_entries(form: forms.ModelForm) -> None:
    """Dictionary-backed selects offer the active entries (and the record's current one)."""
    for f in form._meta.model._meta.get_fields():
        code = dictionary_of(f)
        field = form.fields.get(getattr(f, "name", ""))
        if not code or field is None:
            continue
        current = getattr(form.instance, f.name, "")
        choices = dictionary_choices(code)
        if current and current not in {c for c, _label in choices}:
            choices.append((current, current))
        field.choices = [("", "---------"), *choices]


class LeadForm(BaseModelForm):
    class Meta:
        model = Lead
        fields = LEAD_FIELDS
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offer_active_entries(self)
        if "status" in self.fields and self.instance.status != Lead.Status.CONVERTED:
            # converting is a page of its own
            self.fields["status"].choices = [
                c for c in self.fields["status"].choices if c[0] != Lead.Status.CONVERTED
            ]


class WebFormForm(BaseModelForm):
    class Meta:
        model = WebForm
        fields = [
            "name",
            "active",
            "title",
            "intro",
            "thank_you",
            "source",
            "campaign",
            "fallback_owner",
        ]
        widgets = {"intro": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offer_active_entries(self)
        from kehu.system.models import User

        self.fields["fallback_owner"].queryset = User.objects.filter(
            is_active=True, department__isnull=False
        ).order_by("display_name", "username")


class LeadScoringRuleForm(BaseModelForm):
    class Meta:
        model = LeadScoringRule
        fields = ["name", "field", "condition", "value", "points", "active"]


class LeadAssignmentRuleForm(BaseModelForm):
    class Meta:
        model = LeadAssignmentRule
        fields = [
            "name",
            "position",
            "active",
            "match_field",
            "match_values",
            "method",
            "department",
            "members",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kehu.system.models import User

        self.fields["members"].queryset = User.objects.filter(
            is_active=True, department__isnull=False
        ).order_by("display_name", "username")
        self.fields["members"].widget.attrs["size"] = 8


class ConvertForm(forms.Form):
    """The conversion page: a new customer or an existing one, and an optional opportunity."""

    NEW = "new"
    EXISTING = "existing"

    customer_choice = forms.ChoiceField(
        label=_("Customer"),
        choices=[
            (NEW, _("Create a new customer")),
            (EXISTING, _("Attach to an existing customer")),
        ],
        widget=forms.RadioSelect,
        initial=NEW,
    )
    customer = forms.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput
    )
    customer_number = forms.CharField(
        label=_("Existing customer's number"), required=False, max_length=30
    )
    create_opportunity = forms.BooleanField(
        label=_("Create an opportunity"), required=False, initial=True
    )
    opportunity_name = forms.CharField(label=_("Opportunity name"), required=False, max_length=200)
    amount = forms.DecimalField(
        label=_("Amount"), required=False, min_value=0, max_digits=18, decimal_places=2
    )
    expected_close = forms.DateField(
        label=_("Expected close date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        from kehu.core.dates import add_date_validator

        add_date_validator(self.fields["expected_close"])
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.CheckboxInput | forms.RadioSelect):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs.setdefault("class", "form-control")
            _ = name

    def clean(self):
        data = super().clean()
        from kehu.customers.models import Customer

        data["customer_obj"] = None
        if data.get("customer_choice") == self.EXISTING:
            visible = Customer.objects.visible_to(self.user)
            found = None
            if data.get("customer_number"):
                found = visible.filter(number=data["customer_number"].strip()).first()
            elif data.get("customer"):
                found = visible.filter(pk=data["customer"]).first()
            if found is None:
                self.add_error(
                    "customer_number", _("There is no customer with this number that you may see.")
                )
            data["customer_obj"] = found
        return data


class PublicLeadForm(forms.Form):
    """What a visitor fills in on a public web form; ``website`` is the honeypot (hidden from
    people, filled in by bots)."""

    name = forms.CharField(label=_("Your name"), max_length=100)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    title = forms.CharField(label=_("Job title"), max_length=100, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=40, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    city = forms.CharField(label=_("City"), max_length=60, required=False)
    notes = forms.CharField(
        label=_("Message"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    website = forms.CharField(required=False, max_length=200)  # honeypot

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kehu.customers.models.customer import validate_phone

        self.fields["mobile"].validators.append(validate_phone)
        for name, field in self.fields.items():
            if name != "website":
                field.widget.attrs.setdefault("class", "form-control")
        self.fields["website"].widget.attrs.update(
            {"tabindex": "-1", "autocomplete": "off", "class": "hp-field"}
        )
        self.fields["mobile"].widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})
        self.fields["name"].widget.attrs.update({"autocomplete": "name"})

    @property
    def is_bot(self) -> bool:
        return bool((self.data.get("website") or "").strip())

    def clean(self):
        data = super().clean()
        if (
            not (data.get("mobile") or data.get("email"))
            and not self.errors.get("mobile")
            and not self.errors.get("email")
        ):
            raise forms.ValidationError(
                _("Give a mobile number or an e-mail address so that we can reach you."),
                code="reach_required",
            )
        return data
