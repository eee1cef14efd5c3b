"""One FilterSet for the webhook list page and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.filters import BaseFilterSet

from .models import WebhookEndpoint

YES_NO = (("true", _("Yes")), ("false", _("No")))


class WebhookEndpointFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    is_active = django_filters.ChoiceFilter(
        label=_("Active"), choices=YES_NO, empty_label=_("All"), method="active"
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["q", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(url__icontains=value))

    def active(self, queryset, name, value):
        if value not in ("true", "false"):
            return queryset
        return queryset.filter(is_active=value == "true")
