"""System set-up filters: holidays and dictionary entries."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.filters import BaseFilterSet

from ..models import DictionaryItem, Holiday
from ..params import dictionaries


class HolidayFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains")
    year = django_filters.NumberFilter(label=_("Year"), field_name="date", lookup_expr="year")
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Holiday.Kind.choices, empty_label=_("All")
    )

    class Meta:
        model = Holiday
        fields = ["q", "year", "kind"]


def _dictionary_choices():
    return [(code, d.label) for code, d in dictionaries.items()]


class DictionaryItemFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    dictionary = django_filters.ChoiceFilter(
        label=_("Dictionary"), choices=_dictionary_choices, empty_label=_("All")
    )
    is_active = django_filters.ChoiceFilter(
        label=_("Active"),
        choices=[("1", _("Active")), ("0", _("Inactive"))],
        empty_label=_("All"),
        method="active",
    )

    class Meta:
        model = DictionaryItem
        fields = ["q", "dictionary", "is_active"]

    def active(self, queryset, name, value):
        return queryset.filter(is_active=value == "1")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(code__icontains=value) | Q(label_zh__icontains=value) | Q(label_en__icontains=value)
        )
