"""Lifecycle pages: the overview with customers per stage, the rule thresholds, and the
lifecycle card (badge, history, override) on the customer page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kehu.core.access_rules import access_rule, perm, record
from kehu.core.actions import start_job
from kehu.core.errors import StaleObjectError

from .. import actions
from ..actions.lifecycle import RULES, THRESHOLDS
from ..models import Customer, LifecycleChange, LifecycleSettings, LifecycleStage

__all__ = [
    "STAGE_COLORS",
    "customer_lifecycle",
    "lifecycle_overview",
    "lifecycle_recompute",
    "lifecycle_rules",
]

VIEW_CUSTOMERS = "customers.view_customer"
OVERRIDE = "customers.override_lifecycle"
CONFIGURE = "customers.configure_lifecycle"

#: stage → (Bootstrap badge class, chart colour)
STAGE_COLORS = {
    LifecycleStage.PROSPECT: ("text-bg-secondary", "#6c757d"),
    LifecycleStage.DEVELOPMENT: ("text-bg-info", "#0dcaf0"),
    LifecycleStage.GROWTH: ("text-bg-success", "#198754"),
    LifecycleStage.MATURITY: ("text-bg-primary", "#0d6efd"),
    LifecycleStage.DECLINE: ("text-bg-warning", "#fd7e14"),
    LifecycleStage.TERMINATION: ("text-bg-danger", "#dc3545"),
    LifecycleStage.RECOVERY: ("text-bg-dark", "#6f42c1"),
}


def _need(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


@access_rule(perm(VIEW_CUSTOMERS))
@login_required
def lifecycle_overview(request):
    """Customers per stage among those the user may see, as a chart and a table."""
    _need(request, VIEW_CUSTOMERS)
    counts = actions.stage_counts(request.user)
    total = sum(n for _s, _l, n in counts) or 1
    list_url = reverse("customers:customer_list")
    rows = [
        {
            "stage": stage,
            "label": label,
            "count": n,
            "share": round(100 * n / total, 1),
            "badge": STAGE_COLORS[stage][0],
            "url": f"{list_url}?lifecycle_stage={stage}",
        }
        for stage, label, n in counts
    ]
    option = {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 8, "right": 40, "bottom": 8, "top": 8, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "inverse": True, "data": [str(r["label"]) for r in rows]},
        "series": [
            {
                "type": "bar",
                "barMaxWidth": 28,
                "label": {"show": True, "position": "right"},
                "data": [
                    {"value": r["count"], "itemStyle": {"color": STAGE_COLORS[r["stage"]][1]}}
                    for r in rows
                ],
            }
        ],
        "animationDuration": 400,
    }
    return render(
        request,
        "customers/lifecycle/overview.html",
        {
            "rows": rows,
            "total": sum(r["count"] for r in rows),
            "chart": {"option": option},
            "can_configure": request.user.has_perm(CONFIGURE),
            "overridden": Customer.objects.visible_to(request.user)
            .filter(lifecycle_overridden=True)
            .count(),
        },
    )


@access_rule(perm(CONFIGURE))
@login_required
@require_POST
def lifecycle_recompute(request):
    """Recompute every customer's stage now, in the background (needs ``configure_lifecycle``)."""
    _need(request, CONFIGURE)
    from ..tasks.lifecycle import recompute_lifecycle_job

    job = start_job(
        user=request.user,
        kind="lifecycle",
        title=_("Recompute of customer lifecycle stages"),
        task=recompute_lifecycle_job,
        params={},
    )
    return redirect("core:job_detail", pk=job.pk)


class ThresholdsForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (_default, label, kind) in THRESHOLDS.items():
            value = current[name]
            if kind == "codes":
                field = forms.CharField(required=False, help_text=_("Separate codes with commas."))
                value = ", ".join(value)
            elif kind == "ratio":
                field = forms.FloatField(min_value=0.01, max_value=10)
            else:
                field = forms.IntegerField(min_value=0, max_value=36500)
            field.label = label
            field.initial = value
            field.widget.attrs["class"] = "form-control"
            self.fields[name] = field


@access_rule(perm(VIEW_CUSTOMERS))
@login_required
def lifecycle_rules(request):
    """The rules table and their thresholds; changing them needs ``configure_lifecycle``."""
    _need(request, VIEW_CUSTOMERS)
    can_change = request.user.has_perm(CONFIGURE)
    row = LifecycleSettings.objects.filter(pk=1).first()
    current = actions.get_lifecycle_thresholds()
    form = ThresholdsForm(
        request.POST if request.method == "POST" else None,
        current=current,
        initial={"version": row.version if row else None},
    )
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        if form.is_valid():
            values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            try:
                actions.save_lifecycle_thresholds(
                    values=values, user=request.user, version=form.cleaned_data.get("version")
                )
            except StaleObjectError as exc:
                form.add_error(None, exc)
            except ValidationError as exc:
                for name, errors in exc.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.success(request, _("The lifecycle rules were saved."))
                return redirect("customers:lifecycle_rules")
    if not can_change:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "customers/lifecycle/rules.html",
        {
            "form": form,
            "can_change": can_change,
            "rules": [
                (code, LifecycleStage(stage).label if stage else "—", text)
                for code, (stage, text) in RULES.items()
            ],
        },
    )


class OverrideForm(forms.Form):
    stage = forms.ChoiceField(
        label=gettext_lazy("Stage"),
        choices=LifecycleStage.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )


@access_rule(record("customers.customer"))
@login_required
def customer_lifecycle(request, pk: int):
    """The lifecycle card (HTMX): stage badge, history; POST overrides, clears or recomputes."""
    _need(request, VIEW_CUSTOMERS)
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    editable = Customer.objects.editable_by(request.user).filter(pk=pk).exists()
    can_override = editable and request.user.has_perm(OVERRIDE)
    form = OverrideForm(initial={"stage": customer.lifecycle_stage})
    if request.method == "POST":
        op = request.POST.get("op")
        if not editable or (op in ("override", "clear") and not can_override):
            raise PermissionDenied
        if op == "override":
            form = OverrideForm(request.POST)
            if form.is_valid():
                try:
                    customer = actions.override_lifecycle_stage(
                        customer=customer,
                        stage=form.cleaned_data["stage"],
                        reason=form.cleaned_data["reason"],
                        user=request.user,
                    )
                except ValidationError as exc:
                    for name, errors in exc.error_dict.items():
                        form.add_error(name if name in form.fields else None, errors)
                else:
                    form = OverrideForm(initial={"stage": customer.lifecycle_stage})
        elif op == "clear":
            customer = actions.clear_lifecycle_override(customer=customer, user=request.user)
        elif op == "recompute":
            customer = actions.recompute_customer_lifecycle(customer=customer, user=request.user)
        else:
            raise PermissionDenied
    history = list(LifecycleChange.objects.filter(customer=customer).select_related("user")[:20])
    for change in history:
        change.explanation = RULES.get(change.reason, ("", change.reason))[1]
    return render(
        request,
        "customers/lifecycle/_card.html",
        {
            "customer": customer,
            "badge": STAGE_COLORS[customer.lifecycle_stage][0],
            "history": history,
            "editable": editable,
            "can_override": can_override,
            "form": form,
        },
    )
