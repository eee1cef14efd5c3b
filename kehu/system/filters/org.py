"""System set-up filters: departments and employees (one FilterSet for list, export and API)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from kehu.core.filters import BaseFilterSet, CheckboxFilter

from ..models import Department, EmployeeSkill, Role, User

YES_NO = [("", _("All")), ("true", _("Yes")), ("false", _("No"))]


def active_filter():
    return django_filters.BooleanFilter(label=_("Active"), widget=forms.Select(choices=YES_NO))


def indented(department: Department) -> str:
    return "\u3000" * department.depth + department.name


def role_label(role: Role) -> str:
    from ..actions import DEFAULT_ROLES

    return str(DEFAULT_ROLES[role.name][0]) if role.name in DEFAULT_ROLES else role.name


class DepartmentFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Department.Kind.choices, empty_label=_("All")
    )
    is_active = active_filter()
    parent = django_filters.ModelChoiceFilter(
        label=_("Parent"), queryset=Department.objects.order_by("path")
    )

    class Meta:
        model = Department
        fields = ["q", "kind", "parent", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["parent"].label_from_instance = indented

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))


class EmployeeFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    department = django_filters.ModelChoiceFilter(
        label=_("Department"),
        queryset=Department.objects.order_by("path"),
        method="filter_department",
    )
    include_subdepartments = extend_schema_field(OpenApiTypes.BOOL)(
        CheckboxFilter(
            label=_("Include sub-departments"), widget=forms.CheckboxInput, method="ignore"
        )
    )
    role = django_filters.ModelChoiceFilter(
        label=_("Role"), field_name="roles", queryset=Role.objects.order_by("name")
    )
    is_active = active_filter()
    # A text filter, not a choice list: choices built per request go stale once a filter's
    # form field has been cached on the class-level filter (e.g. by schema generation).
    skill = django_filters.CharFilter(label=_("Skill"), method="filter_skill")
    min_level = django_filters.NumberFilter(
        label=_("Minimum skill level"), method="ignore", min_value=1, max_value=5
    )

    class Meta:
        model = User
        fields = ["q", "department", "include_subdepartments", "role", "is_active", "skill"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["department"].label_from_instance = indented
        self.form.fields["role"].label_from_instance = role_label

    def ignore(self, queryset, name, value):
        return queryset  # read by the filter it modifies

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(display_name__icontains=value)
            | Q(username__icontains=value)
            | Q(phone__contains=value)
            | Q(employee_no__iexact=value)
        )

    def filter_department(self, queryset, name, value):
        if not value:
            return queryset
        if self.form.cleaned_data.get("include_subdepartments"):
            return queryset.filter(department__path__startswith=value.path)
        return queryset.filter(department=value)

    def filter_skill(self, queryset, name, value):
        if not value:
            return queryset
        level = self.form.cleaned_data.get("min_level") or 1
        return queryset.filter(
            pk__in=EmployeeSkill.objects.filter(skill=value, level__gte=level).values("user_id")
        )
