"""System set-up filters: roles."""

from __future__ import annotations

import django_filters
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from kehu.core.filters import BaseFilterSet

from ..models import Role, User


def with_user_count(queryset):
    """Annotate ``user_count`` (employees holding the role directly) with one subquery."""
    holders = (
        User.roles.through.objects.filter(role_id=OuterRef("pk"))
        .order_by()
        .values("role_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return queryset.annotate(
        user_count=Coalesce(Subquery(holders, output_field=IntegerField()), Value(0))
    )


class RoleFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")

    class Meta:
        model = Role
        fields = ["q", "default_view_scope"]

    @property
    def qs(self):
        return with_user_count(super().qs)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))
