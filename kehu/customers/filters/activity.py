import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.filters import BaseFilterSet
from kehu.core.permissions import Access

from ..models import Activity

__all__ = ["ActivityFilterSet"]

DATE = forms.DateInput(attrs={"type": "date"})


class ActivityFilterSet(BaseFilterSet):
    """One FilterSet for the activity list, its exports, the API, the calendar and .ics files."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Activity.Kind.choices, empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Activity.Status.choices, empty_label=_("All")
    )
    customer_number = django_filters.CharFilter(
        label=_("Customer number"), field_name="customer__number", lookup_expr="iexact"
    )
    customer = django_filters.NumberFilter(label=_("Customer"), field_name="customer_id")
    contact = django_filters.NumberFilter(label=_("Contact"), field_name="contacts")
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=None, field_name="owner", empty_label=_("All")
    )
    date_from = django_filters.DateFilter(
        label=_("From"), field_name="start_at", method="filter_from", widget=DATE
    )
    date_to = django_filters.DateFilter(
        label=_("Until"), field_name="start_at", method="filter_to", widget=DATE
    )
    open_commitments = django_filters.BooleanFilter(
        label=_("Open commitments"),
        method="filter_open_commitments",
        widget=forms.Select(choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))]),
    )

    class Meta:
        model = Activity
        fields = ["q", "kind", "status", "customer_number", "owner", "date_from", "date_to"]

    def restrict_choices(self) -> None:
        """Owners: the people whose activities the user may see (the customer data scope)."""
        from kehu.system.access import people_in_scope

        super().restrict_choices()
        if self.user is not None:
            self.filters["owner"].queryset = people_in_scope(self.user, Activity, Access.VIEW)
        else:
            from kehu.system.models import User

            self.filters["owner"].queryset = User.objects.all()

    @property
    def qs(self):
        qs = super().qs
        # The contact filter crosses a many-to-many: never repeat a row.
        return qs.distinct() if self.form.cleaned_data.get("contact") else qs

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(subject__icontains=value)
            | Q(commitment__icontains=value)
            | Q(customer__name__icontains=value)
        )

    def filter_from(self, queryset, name, value):
        from ..actions.activity import day_start

        return queryset.filter(start_at__gte=day_start(value))

    def filter_to(self, queryset, name, value):
        import datetime

        from ..actions.activity import day_start

        return queryset.filter(start_at__lt=day_start(value + datetime.timedelta(days=1)))

    def filter_open_commitments(self, queryset, name, value):
        from ..actions.activity import open_commitments_q

        if value is None:
            return queryset
        return (
            queryset.filter(open_commitments_q())
            if value
            else queryset.exclude(open_commitments_q())
        )
