"""The computed customer attributes as filters of the customer list (its page, export, API and
saved views, and so marketing's segments): "tier A with a churn risk of 60 % or more" is a
target list in one query. Offered only to users who may see sales orders, the data behind them."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import F
from django.utils.translation import gettext as _

from kehu.core.filters import CheckboxFilter

from .rfm import segment_labels

VIEW = "sales.view_salesorder"
TIERS = (("A", "A"), ("B", "B"), ("C", "C"))


def customer_value_filters(user) -> dict:
    if user is None or not user.has_perm(VIEW):
        return {}
    percent = {"min_value": 0, "max_value": 100, "step": 1}
    return {
        "value_tier": django_filters.ChoiceFilter(
            label=_("Value tier"),
            field_name="computed_value__tier",
            choices=TIERS,
            empty_label=_("All"),
        ),
        "rfm_segment": django_filters.ChoiceFilter(
            label=_("RFM segment"),
            field_name="computed_value__segment",
            choices=[(code, label) for code, (label, _advice) in segment_labels().items()],
            empty_label=_("All"),
        ),
        "need_segment": django_filters.ChoiceFilter(
            label=_("Need segment"),
            field_name="computed_value__need_segment",
            choices=_need_choices,
            empty_label=_("All"),
        ),
        "churn_risk_min": django_filters.NumberFilter(
            label=_("Churn risk at least (%)"),
            method=_risk_at_least,
            widget=forms.NumberInput(attrs=percent),
            min_value=0,
            max_value=100,
        ),
        "churn_rising": CheckboxFilter(label=_("Churn risk rising"), method=_rising),
        "clv_min": django_filters.NumberFilter(
            label=_("Value, next 12 months, at least"),
            field_name="computed_value__clv",
            lookup_expr="gte",
            min_value=0,
            max_value=10**15,
        ),
    }


def _need_choices():
    from .models import NeedSegment, category_names

    segments = list(NeedSegment.objects.all())
    names = category_names([t for s in segments for t in s.traits])
    return [(s.number, s.label(names)) for s in segments]


#: "Rising": up by at least this much since the previous computation.
RISING = 0.05


def _rising(queryset, name, value):
    if not value:
        return queryset
    return queryset.filter(
        computed_value__churn_risk__gte=F("computed_value__churn_risk_before") + RISING
    )


def _risk_at_least(queryset, name, value):
    return queryset.filter(computed_value__churn_risk__gte=float(value) / 100)
