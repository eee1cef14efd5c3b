"""Filters of competitors, their product prices and intelligence notes (lists, exports, API)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.filters import BaseFilterSet

from ..models import Competitor, CompetitorProduct, IntelligenceNote

__all__ = ["CompetitorFilterSet", "CompetitorProductFilterSet", "IntelligenceNoteFilterSet"]

DATE = forms.DateInput(attrs={"type": "date"})


class CompetitorFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")

    class Meta:
        model = Competitor
        fields = ["q", "active"]

    def search(self, queryset, name, value):
        value = (value or "").strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(website__icontains=value) | Q(notes__icontains=value)
        )


class CompetitorProductFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")
    competitor = django_filters.ModelChoiceFilter(
        label=_("Competitor"), queryset=Competitor.objects.all()
    )
    product = django_filters.NumberFilter(label=_("Comparable product"), field_name="product_id")
    priced_from = django_filters.DateFilter(
        label=_("Price date from"), field_name="price_date", lookup_expr="gte", widget=DATE
    )
    priced_until = django_filters.DateFilter(
        label=_("Price date until"), field_name="price_date", lookup_expr="lte", widget=DATE
    )

    class Meta:
        model = CompetitorProduct
        fields = ["q", "competitor", "product"]


class IntelligenceNoteFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    source = django_filters.ChoiceFilter(
        label=_("Source"), choices=IntelligenceNote.Source.choices, empty_label=_("All")
    )
    competitor = django_filters.ModelChoiceFilter(
        label=_("Competitor"), queryset=Competitor.objects.all()
    )
    customer = django_filters.NumberFilter(label=_("Customer"), field_name="customer_id")
    opportunity = django_filters.NumberFilter(label=_("Opportunity"), field_name="opportunity_id")
    date_from = django_filters.DateFilter(
        label=_("Date from"), field_name="date", lookup_expr="gte", widget=DATE
    )
    date_until = django_filters.DateFilter(
        label=_("Date until"), field_name="date", lookup_expr="lte", widget=DATE
    )

    class Meta:
        model = IntelligenceNote
        fields = ["q", "source", "competitor", "owner"]

    def search(self, queryset, name, value):
        value = (value or "").strip()[:100]
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(body__icontains=value))
