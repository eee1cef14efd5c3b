"""Filters of the deal list, its export and the API."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.filters import BaseFilterSet
from kehu.core.search import search

from ..models import Competitor, DealCompetitor, Opportunity, Pipeline, Stage

YES_NO = [("", _("All")), ("true", _("Yes")), ("false", _("No"))]


def stalled_condition(now: datetime.datetime | None = None) -> Q:
    """Open deals in their stage longer than the stage's "stalled after" days: one condition per
    open stage (a handful), so it works the same on SQLite and PostgreSQL and uses the
    (stage, stage_changed_at) index."""
    now = now or timezone.now()
    cond = Q(pk__in=[])
    for pk, days in Stage.objects.filter(
        kind=Stage.Kind.OPEN, stalled_after_days__gt=0
    ).values_list("pk", "stalled_after_days"):
        cond |= Q(stage_id=pk, stage_changed_at__lte=now - datetime.timedelta(days=days))
    return cond & Q(status=Opportunity.Status.OPEN)


class OpportunityFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    pipeline = django_filters.ModelChoiceFilter(
        label=_("Pipeline"), queryset=Pipeline.objects.all()
    )
    stage = django_filters.ModelChoiceFilter(label=_("Stage"), queryset=Stage.objects.all())
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Opportunity.Status.choices, empty_label=_("All")
    )
    stalled = django_filters.BooleanFilter(
        label=_("Stalled"), method="filter_stalled", widget=forms.Select(choices=YES_NO)
    )
    close_after = django_filters.DateFilter(
        label=_("Expected close from"),
        field_name="expected_close",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    close_before = django_filters.DateFilter(
        label=_("Expected close until"),
        field_name="expected_close",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    created_after = django_filters.DateFilter(
        label=_("Created from"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    created_before = django_filters.DateFilter(
        label=_("Created until"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    department_tree = django_filters.ModelChoiceFilter(
        label=_("Department and sub-departments"),
        queryset=None,
        method="filter_department_tree",
    )
    reached = django_filters.ModelChoiceFilter(
        label=_("Reached stage"),
        queryset=Stage.objects.exclude(kind=Stage.Kind.LOST),
        method="filter_reached",
    )
    competitor = django_filters.ModelChoiceFilter(
        label=_("Competitor"),
        queryset=Competitor.objects.all(),
        method="filter_competitor",
    )

    class Meta:
        model = Opportunity
        fields = ["q", "pipeline", "stage", "status", "stalled", "owner", "department"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kehu.core.permissions import Access
        from kehu.core.providers import departments_in_scope
        from kehu.system.models import Department

        depts = Department.objects.none()
        if self.user is not None and self.user.is_authenticated:
            depts = departments_in_scope(self.user, Opportunity, Access.VIEW)
        self.filters["department_tree"].queryset = depts

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # the name (Chinese, pinyin, initials) and number through the search index, or the
        # customer's name
        return search(queryset, value) | queryset.filter(customer__name__icontains=value)

    def filter_stalled(self, queryset, name, value):
        if value is None:
            return queryset
        cond = stalled_condition()
        return queryset.filter(cond) if value else queryset.exclude(cond)

    def filter_department_tree(self, queryset, name, value: int):  # a Department (the API: its id)
        if value is None:
            return queryset
        return queryset.filter(department__path__startswith=value.path)

    def filter_competitor(self, queryset, name, value: int):  # a Competitor (the API: its id)
        """Deals the competitor took part in (the win/loss report's drill-down)."""
        if value is None:
            return queryset
        return queryset.filter(
            Exists(DealCompetitor.objects.filter(opportunity=OuterRef("pk"), competitor=value))
        )

    def filter_reached(self, queryset, name, value: int):  # a Stage (the API: its id)
        """Deals that reached this stage or a later one (the funnel's drill-down)."""
        from ..pipeline_reports import reached_condition

        if value is None:
            return queryset
        return queryset.filter(pipeline_id=value.pipeline_id).filter(reached_condition(value))


class PipelineFilterSet(BaseFilterSet):
    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")

    class Meta:
        model = Pipeline
        fields = ["name", "active"]


class StageFilterSet(BaseFilterSet):
    class Meta:
        model = Stage
        fields = ["pipeline", "kind"]
