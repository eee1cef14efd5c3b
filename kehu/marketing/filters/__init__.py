"""FilterSets of the marketing module (one for the list page and the API)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.filters import BaseFilterSet

from ..models import Campaign, MarketingPlan, Segment

__all__ = ["CampaignFilterSet", "MarketingPlanFilterSet", "SegmentFilterSet"]

DATE = forms.DateInput(attrs={"type": "date"})


class CampaignFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(
        label=_("Type"), choices=Campaign.Kind.choices, empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Campaign.Status.choices, empty_label=_("All")
    )
    plan = django_filters.NumberFilter(label=_("Marketing plan"), field_name="plan_id")
    starts_after = django_filters.DateFilter(
        label=_("Starts on or after"), field_name="start_date", lookup_expr="gte", widget=DATE
    )
    starts_before = django_filters.DateFilter(
        label=_("Starts on or before"), field_name="start_date", lookup_expr="lte", widget=DATE
    )
    over_budget = django_filters.BooleanFilter(label=_("Over budget"), method="filter_over")

    class Meta:
        model = Campaign
        fields = ["q", "kind", "status", "plan", "starts_after", "starts_before", "over_budget"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(number__icontains=value))

    def filter_over(self, queryset, name, value):
        from django.db.models import F

        over = Q(budget__gt=0, actual_cost__gt=F("budget"))
        return queryset.filter(over) if value else queryset.exclude(over)


class MarketingPlanFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = MarketingPlan
        fields = ["q"]


class SegmentFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = Segment
        fields = ["q"]
