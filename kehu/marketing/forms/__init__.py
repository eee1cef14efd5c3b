"""Forms of the marketing module (validation only: the actions save)."""

from __future__ import annotations

from django import forms

from kehu.core.forms import BaseModelForm

from ..models import Campaign, MarketingPlan, Segment

__all__ = ["CAMPAIGN_FORM_FIELDS", "CampaignForm", "MarketingPlanForm", "SegmentForm"]

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

CAMPAIGN_FORM_FIELDS = [
    "name",
    "kind",
    "channel",
    "location",
    "status",
    "start_date",
    "end_date",
    "budget",
    "expected_revenue",
    "plan",
    "description",
]


class CampaignForm(BaseModelForm):
    class Meta:
        model = Campaign
        fields = CAMPAIGN_FORM_FIELDS
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.user is not None and "plan" in self.fields:
            self.fields["plan"].queryset = MarketingPlan.objects.visible_to(self.user)


class MarketingPlanForm(BaseModelForm):
    class Meta:
        model = MarketingPlan
        fields = ["name", "start_date", "end_date", "budget", "revenue_goal", "lead_goal", "goal"]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "goal": forms.Textarea(attrs={"rows": 3}),
        }


class SegmentForm(BaseModelForm):
    """Name and options; the filters come from the customer filter form the segment editor
    shows beside it (kept as the list's query string in ``query``)."""

    class Meta:
        model = Segment
        fields = ["name", "description", "exclude_unsubscribed", "exclude", "query"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "query": forms.HiddenInput,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.user is not None and "exclude" in self.fields:
            qs = Segment.objects.visible_to(self.user)
            if self.instance.pk:
                qs = qs.exclude(pk=self.instance.pk)
            self.fields["exclude"].queryset = qs
