"""Custom field definitions: by object type, kind, active."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.filters import BaseFilterSet

from ..models import CustomField, custom_field_object_types


class CustomFieldFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    object_type = django_filters.ChoiceFilter(
        label=_("Object type"), choices=custom_field_object_types, empty_label=_("All")
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=CustomField.Kind.choices, empty_label=_("All")
    )
    is_active = django_filters.ChoiceFilter(
        label=_("Active"),
        choices=[("1", _("Active")), ("0", _("Inactive"))],
        empty_label=_("All"),
        method="active",
    )

    class Meta:
        model = CustomField
        fields = ["q", "object_type", "kind", "is_active"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(label_zh__icontains=value) | Q(label_en__icontains=value) | Q(code__icontains=value)
        )

    def active(self, queryset, name, value):
        return queryset.filter(is_active=value == "1") if value in ("0", "1") else queryset
