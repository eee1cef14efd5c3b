"""Forms of pipelines, stages and deals: validation only, the actions save."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.forms import BaseModelForm

from ..models import Opportunity, Pipeline, Stage

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

OPPORTUNITY_FORM_FIELDS = [
    "name",
    "customer",
    "contact",
    "pipeline",
    "stage",
    "amount",
    "currency",
    "probability",
    "expected_close",
    "source",
    "next_step",
    "competitors",
    "lost_reason",
    "description",
]


class PipelineForm(BaseModelForm):
    class Meta:
        model = Pipeline
        fields = ["name", "is_default", "active", "position"]


class StageForm(BaseModelForm):
    class Meta:
        model = Stage
        fields = ["pipeline", "name", "position", "kind", "probability", "stalled_after_days"]


class OpportunityForm(BaseModelForm):
    class Meta:
        model = Opportunity
        fields = OPPORTUNITY_FORM_FIELDS
        widgets = {
            "expected_close": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "lost_reason": _("Required when the stage is a lost stage."),
            "competitors": _(
                "Free text of older deals; record competitors with their prices in the deal "
                "page's Competitors card."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kehu.customers.models import Contact, Customer

        if self.user is not None:
            customers = Customer.objects.visible_to(self.user)
            contacts = Contact.objects.visible_to(self.user)
        else:
            customers, contacts = Customer.objects.all(), Contact.objects.all()
        if "customer" in self.fields:
            self.fields["customer"].queryset = customers.only("id", "name").order_by("name")
        if "contact" in self.fields:
            self.fields["contact"].queryset = contacts.only("id", "name").order_by("name")
        if "pipeline" in self.fields:
            self.fields["pipeline"].queryset = Pipeline.objects.filter(active=True)
            self.fields["pipeline"].required = False
            self.fields["pipeline"].help_text = _("Empty: the default pipeline.")
        if "stage" in self.fields:
            self.fields["stage"].queryset = Stage.objects.select_related("pipeline").order_by(
                "pipeline__position", "pipeline_id", "position"
            )
            self.fields["stage"].required = False
            self.fields["stage"].help_text = _("Empty: the pipeline's first stage.")
            self.fields["stage"].label_from_instance = lambda s: f"{s.pipeline} · {s}"
