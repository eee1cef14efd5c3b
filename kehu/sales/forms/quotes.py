"""Forms of quotes, quote lines and price agreements (validation only: the actions save)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.forms import BaseModelForm
from kehu.customers.forms.customer import CustomerNumberField, _number
from kehu.customers.models import Contact, Customer

from ..models import PriceAgreement, Quote

__all__ = ["PriceAgreementForm", "QuoteForm", "RejectForm", "SendForm"]

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _customer_choice(form, customers) -> int | None:
    """The customer chosen (bound) or held (instance), and its number as the initial value."""
    field = form.fields["customer"]
    field.queryset = customers
    customer_id = form.instance.customer_id if form.instance.pk else None
    if customer_id:
        form.initial["customer"] = _number(customer_id)
    number = form.data.get(form.add_prefix("customer")) if form.is_bound else None
    number = number or form.initial.get("customer")
    if number and not customer_id:
        customer_id = customers.filter(number=number).values_list("pk", flat=True).first()
    return customer_id


class QuoteForm(BaseModelForm):
    customer = CustomerNumberField(label=_("Customer"))

    class Meta:
        model = Quote
        fields = ["title", "customer", "contact", "opportunity", "currency", "valid_until", "terms"]
        widgets = {"valid_until": DATE, "terms": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from ..models import Opportunity

        customers = Customer.objects.all()
        if self.user is not None:
            customers = Customer.objects.visible_to(self.user)
        customer_id = _customer_choice(self, customers)
        self.fields["contact"].queryset = (
            Contact.objects.filter(customer_id=customer_id).only("id", "name").order_by("name")
            if customer_id
            else Contact.objects.none()
        )
        opportunities = Opportunity.objects.filter(customer_id=customer_id) if customer_id else None
        if opportunities is not None and self.user is not None:
            opportunities = Opportunity.objects.visible_to(self.user).filter(
                customer_id=customer_id
            )
        self.fields["opportunity"].queryset = (
            opportunities.only("id", "name", "number").order_by("-pk")
            if opportunities is not None
            else Opportunity.objects.none()
        )
        self.fields["currency"].help_text = _("Empty: the system currency.")


class PriceAgreementForm(BaseModelForm):
    customer = CustomerNumberField(label=_("Customer"))

    class Meta:
        model = PriceAgreement
        fields = ["customer", "product", "price", "valid_from", "valid_to", "notes"]
        widgets = {"valid_from": DATE, "valid_to": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        customers = Customer.objects.all()
        if self.user is not None:
            customers = Customer.objects.editable_by(self.user)
        _customer_choice(self, customers)
        from kehu.system.models import Product

        self.fields["product"].queryset = Product.objects.filter(is_active=True)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class SendForm(forms.Form):
    to = forms.CharField(
        label=_("To"),
        max_length=500,
        help_text=_("E-mail addresses, separated by commas."),
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    message = forms.CharField(
        label=_("Message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control form-control-sm"}),
    )
    language = forms.ChoiceField(
        label=_("Language of the PDF"),
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def recipients(self) -> list[str]:
        text = self.cleaned_data["to"].replace(";", ",").replace("，", ",")
        return [a.strip() for a in text.split(",") if a.strip()]
