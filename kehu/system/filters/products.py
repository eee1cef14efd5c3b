"""System set-up filters: products (one FilterSet each for the list page, its export and the API)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from kehu.core.filters import BaseFilterSet

from ..models import Product, ProductCategory

YES_NO = (("true", _("Yes")), ("false", _("No")))


def _active(queryset, name, value):
    if value not in ("true", "false"):
        return queryset
    return queryset.filter(is_active=value == "true")


class ProductCategoryFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    under = extend_schema_field(OpenApiTypes.INT)(
        django_filters.ModelChoiceFilter(
            label=_("Under category"),
            queryset=ProductCategory.objects.all(),
            method="subtree",
        )
    )
    is_active = django_filters.ChoiceFilter(
        label=_("Active"), choices=YES_NO, empty_label=_("All"), method="active"
    )

    class Meta:
        model = ProductCategory
        fields = ["q", "under", "is_active"]

    def active(self, queryset, name, value):
        return _active(queryset, name, value)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__istartswith=value))

    def subtree(self, queryset, name, value):
        """Sub-categories at any depth below the chosen one (not the category itself)."""
        if not value:
            return queryset
        return queryset.filter(path__startswith=value.path).exclude(pk=value.pk)


class ProductFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    category = django_filters.ModelChoiceFilter(
        label=_("Category"),
        queryset=ProductCategory.objects.all(),
        method="in_category",
        help_text=_("Includes its sub-categories."),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Product.Kind.choices, empty_label=_("All")
    )
    is_active = django_filters.ChoiceFilter(
        label=_("Active"), choices=YES_NO, empty_label=_("All"), method="active"
    )
    min_price = django_filters.NumberFilter(
        label=_("List price from"), field_name="list_price", lookup_expr="gte"
    )
    max_price = django_filters.NumberFilter(
        label=_("List price up to"), field_name="list_price", lookup_expr="lte"
    )

    class Meta:
        model = Product
        fields = ["q", "category", "kind", "is_active", "min_price", "max_price"]

    def active(self, queryset, name, value):
        return _active(queryset, name, value)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__istartswith=value))

    def in_category(self, queryset, name, value):
        """Products of the category and of all its sub-categories."""
        if not value:
            return queryset
        return queryset.filter(category__path__startswith=value.path)
