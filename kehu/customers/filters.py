import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Customer


class CustomerFilterSet(django_filters.FilterSet):
    """One FilterSet for the customer list page, its export and the API."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    city = django_filters.CharFilter(label=_("City"), lookup_expr="exact")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Customer.Kind.choices)
    registered_after = django_filters.DateFilter(
        label=_("Registered from"), field_name="registered_on", lookup_expr="gte"
    )
    registered_before = django_filters.DateFilter(
        label=_("Registered until"), field_name="registered_on", lookup_expr="lte"
    )

    class Meta:
        model = Customer
        fields = ["q", "kind", "city", "owner", "department", "level"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(number__iexact=value)
            | Q(mnemonic__istartswith=value)
            | Q(phone__contains=value)
        )
