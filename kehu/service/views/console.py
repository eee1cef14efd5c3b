"""The call-centre console: the agent types (or the telephony system passes) the calling number;
the matching customers pop with their open requests and latest activities; the call is logged
as an activity with its duration and outcome, and a new request is one click away."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kehu.core.access_rules import access_rule, perm

from ..actions.console import find_callers, log_call, normalise_number
from ..models import ServiceRequest

PERM = "service.add_servicerequest"


class CallForm(forms.Form):
    customer = forms.IntegerField(widget=forms.HiddenInput)
    phone = forms.CharField(max_length=40, required=False, widget=forms.HiddenInput)
    request = forms.IntegerField(required=False, widget=forms.HiddenInput)
    minutes = forms.IntegerField(
        label=gettext_lazy("Minutes"), min_value=0, max_value=24 * 60, initial=0
    )
    seconds = forms.IntegerField(
        label=gettext_lazy("Seconds"), min_value=0, max_value=59, initial=0
    )
    outcome = forms.CharField(
        label=gettext_lazy("Outcome"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


def _check(request) -> None:
    if not request.user.has_perm(PERM):
        raise PermissionDenied


@access_rule(perm(PERM))
@login_required
def console(request):
    _check(request)
    raw = request.GET.get("phone", "")
    number = normalise_number(raw)
    callers = find_callers(request.user, raw) if number else []
    return render(
        request,
        "service/console.html",
        {
            "phone": raw[:40],
            "number": number,
            "callers": callers,
            "invalid": bool(raw.strip()) and not number,
        },
    )


@access_rule(perm(PERM))
@login_required
@require_POST
def console_log_call(request):
    from kehu.customers.models import Customer

    _check(request)
    form = CallForm(request.POST)
    phone = request.POST.get("phone", "")[:40]
    back = f"{reverse('service:console')}?{urlencode({'phone': phone})}"
    if not form.is_valid():
        messages.error(request, _("Enter the duration and the outcome of the call."))
        return redirect(back)
    data = form.cleaned_data
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=data["customer"])
    req = None
    if data.get("request"):
        req = get_object_or_404(ServiceRequest.objects.visible_to(request.user), pk=data["request"])
    try:
        log_call(
            user=request.user,
            customer=customer,
            phone=data["phone"],
            duration_seconds=data["minutes"] * 60 + data["seconds"],
            outcome=data["outcome"],
            request=req,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    messages.success(request, _("The call was logged."))
    return redirect(back)
