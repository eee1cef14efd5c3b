"""Filters of the lead list, its export and the API; and of the lead settings lists."""

import django_filters
from django.utils.translation import gettext_lazy as _

from kehu.core.filters import BaseFilterSet
from kehu.core.search import search

from ..models.leads import Lead, LeadAssignmentRule, LeadScoringRule, WebForm

STALE_DAYS = (7, 14, 30, 60, 90)


class LeadFilterSet(BaseFilterSet):
    """Status, source, owner, score range, stale (no contact in N days), search."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    score_min = django_filters.NumberFilter(
        label=_("Score from"),
        field_name="score",
        lookup_expr="gte",
        min_value=-100000,
        max_value=100000,
    )
    score_max = django_filters.NumberFilter(
        label=_("Score up to"),
        field_name="score",
        lookup_expr="lte",
        min_value=-100000,
        max_value=100000,
    )
    stale = django_filters.ChoiceFilter(
        label=_("No contact for"),
        method="filter_stale",
        choices=[(str(d), _("%(days)s days") % {"days": d}) for d in STALE_DAYS],
        empty_label=_("All"),
    )

    class Meta:
        model = Lead
        fields = ["q", "status", "source", "industry", "owner", "score_min", "score_max", "stale"]

    def search(self, queryset, name, value):
        """Name, company (Chinese, pinyin, initials), phones, e-mail: indexed."""
        return search(queryset, value)

    def filter_stale(self, queryset, name, value):
        from ..actions.leads import stale_q

        return queryset.filter(stale_q(int(value))) if value else queryset


class WebFormFilterSet(BaseFilterSet):
    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")

    class Meta:
        model = WebForm
        fields = ["name", "active"]


class LeadScoringRuleFilterSet(BaseFilterSet):
    class Meta:
        model = LeadScoringRule
        fields = ["field", "active"]


class LeadAssignmentRuleFilterSet(BaseFilterSet):
    class Meta:
        model = LeadAssignmentRule
        fields = ["method", "active"]
