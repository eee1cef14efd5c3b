"""One FilterSet per KPI model, for the list pages and the API alike."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.filters import BaseFilterSet

from .kpi_models import KpiDefinition, KpiTarget
from .kpis import PERIODS, PERSPECTIVES

__all__ = ["KpiDefinitionFilterSet", "KpiTargetFilterSet"]


class KpiDefinitionFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    perspective = django_filters.ChoiceFilter(
        label=_("Perspective"), choices=PERSPECTIVES, empty_label=_("All")
    )
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = KpiDefinition
        fields = ["q", "perspective", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class KpiTargetFilterSet(BaseFilterSet):
    definition = django_filters.ModelChoiceFilter(
        label=_("KPI"), queryset=KpiDefinition.objects.all(), empty_label=_("All")
    )
    employee = django_filters.ModelChoiceFilter(
        label=_("Employee"), queryset=None, field_name="employee", empty_label=_("All")
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), queryset=None, field_name="department", empty_label=_("All")
    )
    period = django_filters.ChoiceFilter(label=_("Period"), choices=PERIODS, empty_label=_("All"))
    year = django_filters.NumberFilter(label=_("Year"), field_name="year")

    class Meta:
        model = KpiTarget
        fields = ["definition", "employee", "department", "period", "year"]
