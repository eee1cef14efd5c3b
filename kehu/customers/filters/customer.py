import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.filters import BaseFilterSet
from kehu.core.search import search

from ..models import Contact, Customer, LifecycleStage


class CustomerFilterSet(BaseFilterSet):
    """One FilterSet for the customer list page, its export and the API."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    city = django_filters.CharFilter(label=_("City"), lookup_expr="exact")
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Customer.Kind.choices, empty_label=_("All")
    )
    lifecycle_stage = django_filters.ChoiceFilter(
        label=_("Lifecycle stage"), choices=LifecycleStage.choices, empty_label=_("All")
    )
    registered_after = django_filters.DateFilter(
        label=_("Registered from"),
        field_name="registered_on",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    registered_before = django_filters.DateFilter(
        label=_("Registered until"),
        field_name="registered_on",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Customer
        fields = [
            "q",
            "kind",
            "customer_type",
            "status",
            "level",
            "lifecycle_stage",
            "industry",
            "source",
            "city",
            "owner",
            "department",
        ]

    def search(self, queryset, name, value):
        """Name (Chinese, pinyin, initials, substring), number, phones, e-mail: indexed."""
        return search(queryset, value)


class ContactFilterSet(BaseFilterSet):
    """Contacts: search, the customer (by number), gender, primary contacts."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    customer_number = django_filters.CharFilter(
        label=_("Customer number"), field_name="customer__number", lookup_expr="iexact"
    )
    gender = django_filters.ChoiceFilter(
        label=_("Gender"), choices=Contact.Gender.choices, empty_label=_("All")
    )
    is_primary = django_filters.BooleanFilter(
        label=_("Primary contact"),
        widget=forms.Select(choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))]),
    )

    class Meta:
        model = Contact
        fields = ["q", "customer_number", "gender", "is_primary"]

    def search(self, queryset, name, value):
        """Name (Chinese, pinyin, initials, substring), phones, e-mail: indexed."""
        return search(queryset, value)
