"""FilterSets of quotes, quote lines and price agreements (list pages, exports, the API)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.filters import BaseFilterSet

from ..models import PriceAgreement, Quote

__all__ = ["PriceAgreementFilterSet", "QuoteFilterSet"]


class QuoteFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Quote.Status.choices, empty_label=_("All")
    )
    customer = django_filters.NumberFilter(label=_("Customer"), field_name="customer_id")
    customer_number = django_filters.CharFilter(
        label=_("Customer number"), field_name="customer__number", lookup_expr="iexact"
    )

    class Meta:
        model = Quote
        fields = ["q", "status", "customer_number"]

    def search(self, queryset, name, value):
        value = (value or "").strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(title__icontains=value)
            | Q(customer__name__icontains=value)
        )


class PriceAgreementFilterSet(BaseFilterSet):
    customer_number = django_filters.CharFilter(
        label=_("Customer number"), field_name="customer__number", lookup_expr="iexact"
    )
    customer = django_filters.NumberFilter(label=_("Customer"), field_name="customer_id")
    product = django_filters.NumberFilter(label=_("Product"), field_name="product_id")

    class Meta:
        model = PriceAgreement
        fields = ["customer_number", "product"]
