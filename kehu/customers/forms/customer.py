from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import dictionary_of
from kehu.core.forms import BaseModelForm
from kehu.core.permissions import HIDDEN_RECORD
from kehu.core.pickers import PickerWidget
from kehu.system.params import dictionary_choices

from ..models import CONTACT_FIELDS, CUSTOMER_FIELDS, Contact, Customer

#: form field → dictionary whose active entries it offers (declared on the model's fields)
DICTIONARY_FIELDS = {
    f.name: code for f in Customer._meta.get_fields() if (code := dictionary_of(f))
}


class CustomerNumberField(forms.ModelChoiceField):
    """A customer chosen with a picker (name, pinyin, number) that posts its number (客户编号):
    lists of customers are too long for a select, and a number typed or imported still works."""

    widget = PickerWidget
    default_error_messages = {
        "invalid_choice": _("There is no customer with this number that you may choose."),
    }

    #: The current choice when the user may not see it: shown as ``HIDDEN_RECORD`` and kept
    #: when that placeholder comes back unchanged.
    hidden_current: Customer | None = None

    def __init__(self, **kwargs):
        super().__init__(queryset=Customer.objects.none(), to_field_name="number", **kwargs)

    def to_python(self, value):
        if self.hidden_current is not None and value == str(HIDDEN_RECORD):
            return self.hidden_current
        return super().to_python(value)


def _number(customer_id) -> str | None:
    if not customer_id:
        return None
    return Customer.objects.filter(pk=customer_id).values_list("number", flat=True).first()


class CustomerForm(BaseModelForm):
    parent = CustomerNumberField(label=_("Parent company"), required=False)

    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, code in DICTIONARY_FIELDS.items():
            field = self.fields.get(name)
            if field is None:
                continue
            current = getattr(self.instance, name, "")
            choices = dictionary_choices(code)
            if current and current not in {c for c, _label in choices}:
                # a deactivated entry the record still holds stays selectable
                choices.append((current, current))
            field.choices = [("", "---------"), *choices]
        parents = Customer.objects.all()
        if self.user is not None:
            parents = Customer.objects.visible_to(self.user)
        self.fields["parent"].queryset = parents
        if self.instance.parent_id:
            # A parent outside the user's scope is neither named nor lost on save.
            number = (
                parents.filter(pk=self.instance.parent_id).values_list("number", flat=True).first()
            )
            if number is None:
                self.fields["parent"].hidden_current = self.instance.parent
                number = str(HIDDEN_RECORD)
            self.initial["parent"] = number


class ContactForm(BaseModelForm):
    customer = CustomerNumberField(label=_("Customer"))

    class Meta:
        model = Contact
        fields = CONTACT_FIELDS
        widgets = {"birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Contacts may be added only to customers the user may edit.
        customers = Customer.objects.all()
        if self.user is not None:
            customers = Customer.objects.editable_by(self.user)
        self.fields["customer"].queryset = customers
        customer_id = self.instance.customer_id
        if customer_id:
            self.initial["customer"] = _number(customer_id)
        # "Reports to" offers the other contacts of the same customer.
        number = self.data.get(self.add_prefix("customer")) if self.is_bound else None
        number = number or self.initial.get("customer")
        if number and not customer_id:
            customer_id = customers.filter(number=number).values_list("pk", flat=True).first()
        colleagues = Contact.objects.filter(customer_id=customer_id) if customer_id else None
        if colleagues is None:
            colleagues = Contact.objects.none()
        elif self.instance.pk:
            colleagues = colleagues.exclude(pk=self.instance.pk)
        self.fields["reports_to"].queryset = colleagues.only("id", "name").order_by("name")
