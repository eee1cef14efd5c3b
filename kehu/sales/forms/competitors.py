"""Forms of competitors, their product prices and intelligence notes: validation only, the
actions save."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.forms import BaseModelForm

from ..models import Competitor, CompetitorProduct, IntelligenceNote

__all__ = [
    "COMPETITOR_FIELDS",
    "COMPETITOR_PRODUCT_FIELDS",
    "INTELLIGENCE_NOTE_FIELDS",
    "CompetitorForm",
    "CompetitorProductForm",
    "IntelligenceNoteForm",
]

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

COMPETITOR_FIELDS = ["name", "website", "strengths", "weaknesses", "notes", "active"]
COMPETITOR_PRODUCT_FIELDS = [
    "competitor",
    "name",
    "product",
    "price",
    "currency",
    "price_date",
    "notes",
]
INTELLIGENCE_NOTE_FIELDS = [
    "title",
    "date",
    "source",
    "competitor",
    "customer",
    "opportunity",
    "body",
]


class CompetitorForm(BaseModelForm):
    class Meta:
        model = Competitor
        fields = COMPETITOR_FIELDS
        widgets = {
            "strengths": forms.Textarea(attrs={"rows": 3}),
            "weaknesses": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "active": _("Inactive competitors can no longer be added to deals."),
        }


class CompetitorProductForm(BaseModelForm):
    class Meta:
        model = CompetitorProduct
        fields = COMPETITOR_PRODUCT_FIELDS
        widgets = {"price_date": DATE, "notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "product": _("The product of our catalogue it competes with."),
            "price_date": _("When this price was seen: a new price is a new row (price history)."),
            "currency": _("Empty: the company's currency."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "currency" in self.fields:
            self.fields["currency"].required = False


class IntelligenceNoteForm(BaseModelForm):
    class Meta:
        model = IntelligenceNote
        fields = INTELLIGENCE_NOTE_FIELDS
        widgets = {"date": DATE, "body": forms.Textarea(attrs={"rows": 6})}
        help_texts = {
            "customer": _("Empty for a note about a deal: the deal's customer."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kehu.customers.models import Customer

        from ..models import Opportunity

        if self.user is not None:
            customers = Customer.objects.visible_to(self.user)
            deals = Opportunity.objects.visible_to(self.user)
        else:
            customers, deals = Customer.objects.all(), Opportunity.objects.all()
        if "customer" in self.fields:
            self.fields["customer"].queryset = customers
        if "opportunity" in self.fields:
            self.fields["opportunity"].queryset = deals
        if "competitor" in self.fields:
            self.fields["competitor"].queryset = Competitor.objects.filter(active=True)
