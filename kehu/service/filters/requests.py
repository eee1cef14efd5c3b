"""FilterSets of requests, contracts, installed goods, SLA policies and agent profiles."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.filters import BaseFilterSet

from ..models import AgentProfile, InstalledProduct, ServiceContract, ServiceRequest, SlaPolicy

__all__ = [
    "AgentProfileFilterSet",
    "InstalledProductFilterSet",
    "ServiceContractFilterSet",
    "ServiceRequestFilterSet",
    "SlaPolicyFilterSet",
]

DATE = forms.DateInput(attrs={"type": "date"})


class _Search(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    customer = django_filters.NumberFilter(label=_("Customer"), field_name="customer_id")

    search_fields: tuple[str, ...] = ("customer__name",)

    def search(self, queryset, name, value):
        cond = Q()
        for f in self.search_fields:
            cond |= Q(**{f"{f}__icontains": value})
        return queryset.filter(cond)


class ServiceRequestFilterSet(_Search):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ServiceRequest.Status.choices, empty_label=_("All")
    )
    open = django_filters.BooleanFilter(label=_("Open"), method="filter_open")
    type = django_filters.ChoiceFilter(
        label=_("Type"), choices=ServiceRequest.Type.choices, empty_label=_("All")
    )
    priority = django_filters.ChoiceFilter(
        label=_("Priority"), choices=ServiceRequest.Priority.choices, empty_label=_("All")
    )
    channel = django_filters.ChoiceFilter(
        label=_("Channel"), choices=ServiceRequest.Channel.choices, empty_label=_("All")
    )
    entitlement = django_filters.ChoiceFilter(
        label=_("Entitlement"), choices=ServiceRequest.Entitlement.choices, empty_label=_("All")
    )
    agent = django_filters.NumberFilter(label=_("Agent"), field_name="agent_id")
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="filter_overdue")
    unknown_sender = django_filters.BooleanFilter(label=_("Unknown sender"))
    date_from = django_filters.DateFilter(
        label=_("From"), field_name="created_at", lookup_expr="date__gte", widget=DATE
    )
    date_to = django_filters.DateFilter(
        label=_("Until"), field_name="created_at", lookup_expr="date__lte", widget=DATE
    )
    search_fields = ("number", "subject", "serial_number", "customer__name")

    class Meta:
        model = ServiceRequest
        fields = [
            "q",
            "status",
            "open",
            "type",
            "priority",
            "category",
            "channel",
            "entitlement",
            "customer",
            "agent",
            "overdue",
            "unknown_sender",
            "date_from",
            "date_to",
        ]

    def filter_open(self, queryset, name, value):
        from ..models.requests import CLOSED_STATUSES

        if value is None:
            return queryset
        if value:
            return queryset.exclude(status__in=CLOSED_STATUSES)
        return queryset.filter(status__in=CLOSED_STATUSES)

    def filter_overdue(self, queryset, name, value):
        """Open, not waiting on the customer, and past the resolution due time."""
        from django.utils import timezone

        from ..models.requests import CLOSED_STATUSES

        if not value:
            return queryset
        return queryset.exclude(status__in=CLOSED_STATUSES).filter(
            paused_at__isnull=True, resolution_due__lt=timezone.now()
        )


class ServiceContractFilterSet(_Search):
    ends_before = django_filters.DateFilter(
        label=_("Ends before"), field_name="end_date", lookup_expr="lte", widget=DATE
    )
    search_fields = ("number", "customer__name")

    class Meta:
        model = ServiceContract
        fields = ["q", "level", "customer", "ends_before"]


class InstalledProductFilterSet(_Search):
    product = django_filters.NumberFilter(label=_("Product"), field_name="product_id")
    warranty_before = django_filters.DateFilter(
        label=_("Warranty ends before"), field_name="warranty_end", lookup_expr="lte", widget=DATE
    )
    search_fields = ("serial_number", "customer__name", "product__name")

    class Meta:
        model = InstalledProduct
        fields = ["q", "customer", "product", "warranty_before"]


class SlaPolicyFilterSet(BaseFilterSet):
    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")
    priority = django_filters.ChoiceFilter(
        label=_("Priority"), choices=ServiceRequest.Priority.choices, empty_label=_("All")
    )

    class Meta:
        model = SlaPolicy
        fields = ["name", "level", "priority", "is_active"]


class AgentProfileFilterSet(BaseFilterSet):
    availability = django_filters.ChoiceFilter(
        label=_("Availability"), choices=AgentProfile.Availability.choices, empty_label=_("All")
    )

    class Meta:
        model = AgentProfile
        fields = ["availability"]
