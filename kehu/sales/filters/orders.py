"""FilterSets of orders, contracts, payments, commission rules and targets: one each for the
list page, its exports and the API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.filters import BaseFilterSet

from ..models import CommissionRule, Contract, Payment, SalesOrder, SalesTarget

__all__ = [
    "CommissionRuleFilterSet",
    "ContractFilterSet",
    "PaymentFilterSet",
    "SalesOrderFilterSet",
    "SalesTargetFilterSet",
]

DATE = forms.DateInput(attrs={"type": "date"})


class _Search(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    customer = django_filters.NumberFilter(label=_("Customer"), field_name="customer_id")
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=None, field_name="owner", empty_label=_("All")
    )

    search_fields: tuple[str, ...] = ("number", "customer__name")

    def search(self, queryset, name, value):
        cond = Q()
        for f in self.search_fields:
            cond |= Q(**{f"{f}__icontains": value})
        return queryset.filter(cond)


class SalesOrderFilterSet(_Search):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=SalesOrder.Status.choices, empty_label=_("All")
    )
    date_from = django_filters.DateFilter(
        label=_("From"), field_name="order_date", lookup_expr="gte", widget=DATE
    )
    date_to = django_filters.DateFilter(
        label=_("Until"), field_name="order_date", lookup_expr="lte", widget=DATE
    )

    class Meta:
        model = SalesOrder
        fields = ["q", "status", "customer", "owner", "date_from", "date_to"]


class ContractFilterSet(_Search):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Contract.Status.choices, empty_label=_("All")
    )
    ends_before = django_filters.DateFilter(
        label=_("Ends before"), field_name="end_date", lookup_expr="lte", widget=DATE
    )
    search_fields = ("number", "title", "customer__name")

    class Meta:
        model = Contract
        fields = ["q", "status", "customer", "owner", "ends_before"]


class PaymentFilterSet(_Search):
    order = django_filters.NumberFilter(label=_("Sales order"), field_name="order_id")
    contract = django_filters.NumberFilter(label=_("Contract"), field_name="contract_id")
    date_from = django_filters.DateFilter(
        label=_("From"), field_name="paid_on", lookup_expr="gte", widget=DATE
    )
    date_to = django_filters.DateFilter(
        label=_("Until"), field_name="paid_on", lookup_expr="lte", widget=DATE
    )
    search_fields = ("number", "reference", "customer__name")

    class Meta:
        model = Payment
        fields = ["q", "customer", "order", "contract", "owner", "date_from", "date_to"]


class CommissionRuleFilterSet(BaseFilterSet):
    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")

    class Meta:
        model = CommissionRule
        fields = ["name", "is_active"]


class SalesTargetFilterSet(BaseFilterSet):
    year = django_filters.NumberFilter(label=_("Year"), field_name="year")
    period = django_filters.ChoiceFilter(
        label=_("Period"), choices=SalesTarget.Period.choices, empty_label=_("All")
    )

    class Meta:
        model = SalesTarget
        fields = ["year", "period"]
