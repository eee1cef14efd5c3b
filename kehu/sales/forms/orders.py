"""Forms of orders, contracts, payments, commission rules and targets (validation only: the
actions save)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.forms import BaseModelForm

from ..models import (
    CommissionRule,
    Contract,
    Instalment,
    Opportunity,
    Payment,
    SalesOrder,
    SalesTarget,
)

__all__ = [
    "AddLineForm",
    "CommissionRuleForm",
    "ContractForm",
    "PaymentForm",
    "PaymentPlanForm",
    "SalesOrderForm",
    "SalesTargetForm",
]

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _visible(form, name: str, model, *, editable: bool = False) -> None:
    """Offer only records the user may see (or edit) in a relation field."""
    if name not in form.fields or form.user is None:
        return
    manager = model.objects
    qs = manager.editable_by(form.user) if editable else manager.visible_to(form.user)
    form.fields[name].queryset = qs


class SalesOrderForm(BaseModelForm):
    class Meta:
        model = SalesOrder
        fields = [
            "customer",
            "contact",
            "opportunity",
            "contract",
            "currency",
            "order_date",
            "payment_due",
            "notes",
        ]
        widgets = {
            "order_date": DATE,
            "payment_due": DATE,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kehu.customers.models import Contact, Customer

        _visible(self, "customer", Customer, editable=True)
        _visible(self, "contact", Contact)
        _visible(self, "opportunity", Opportunity)
        _visible(self, "contract", Contract)
        self.fields["currency"].help_text = _("Empty: the base currency.")


class AddLineForm(forms.Form):
    """One more line on a draft order; price and tax default to the product's."""

    product = forms.ModelChoiceField(label=_("Product"), queryset=None)
    quantity = forms.DecimalField(label=_("Quantity"), initial=Decimal("1"), max_digits=20)
    unit_price = forms.DecimalField(
        label=_("Unit price"), required=False, max_digits=20, help_text=_("Empty: list price.")
    )
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"), initial=Decimal("0"), max_digits=7, required=False
    )
    tax_rate = forms.DecimalField(
        label=_("Tax rate (%)"), required=False, max_digits=7, help_text=_("Empty: product's.")
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kehu.system.models import Product

        self.fields["product"].queryset = Product.objects.filter(is_active=True).order_by("code")
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", f"{css} form-control-sm")


class ContractForm(BaseModelForm):
    class Meta:
        model = Contract
        fields = [
            "title",
            "customer",
            "opportunity",
            "currency",
            "start_date",
            "end_date",
            "amount",
            "signed_on",
            "terms",
        ]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "signed_on": DATE,
            "terms": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kehu.customers.models import Customer

        _visible(self, "customer", Customer, editable=True)
        _visible(self, "opportunity", Opportunity)


class PaymentPlanForm(forms.Form):
    """The payment plan as lines of ``YYYY-MM-DD amount``."""

    plan = forms.CharField(
        label=_("Payment plan"),
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control font-monospace"}),
        help_text=_("One instalment per line: due date and amount, e.g. “2026-03-31 50000”."),
    )

    def clean_plan(self):
        import datetime
        from decimal import InvalidOperation

        from kehu.core.dates import validate_date_range

        rows = []
        for n, line in enumerate(self.cleaned_data["plan"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            parts = line.replace(",", " ").replace("\t", " ").split()
            try:
                due = datetime.date.fromisoformat(parts[0])
                validate_date_range(due)
                amount = Decimal(parts[1])
                if not amount.is_finite() or len(parts) != 2:
                    raise ValueError
            except (ValueError, IndexError, InvalidOperation, forms.ValidationError):
                raise forms.ValidationError(
                    _("Line %(n)s: write a date (YYYY-MM-DD) and an amount.") % {"n": n}
                ) from None
            rows.append((due, amount))
        return rows


class PaymentForm(BaseModelForm):
    class Meta:
        model = Payment
        fields = [
            "order",
            "contract",
            "instalment",
            "amount",
            "currency",
            "paid_on",
            "method",
            "reference",
            "note",
        ]
        widgets = {"paid_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _visible(self, "order", SalesOrder)
        _visible(self, "contract", Contract)
        _visible(self, "instalment", Instalment)
        if self.user is not None:
            self.fields["order"].queryset = self.fields["order"].queryset.filter(
                status__in=["confirmed", "shipped", "delivered", "completed"],
                contract__isnull=True,
            )
            self.fields["contract"].queryset = self.fields["contract"].queryset.filter(
                status__in=["active", "expired"]
            )
            self.fields["instalment"].queryset = (
                self.fields["instalment"]
                .queryset.filter(contract__status__in=["active", "expired"])
                .select_related("contract")
            )
        self.fields["currency"].help_text = _("Empty: the currency of the order or contract.")


class CommissionRuleForm(BaseModelForm):
    class Meta:
        model = CommissionRule
        fields = ["name", "employee", "role", "product", "category", "rate", "tiers", "is_active"]


class SalesTargetForm(BaseModelForm):
    class Meta:
        model = SalesTarget
        fields = [
            "employee",
            "department",
            "period",
            "year",
            "number",
            "booked_target",
            "collected_target",
        ]
