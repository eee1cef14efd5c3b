"""The public registration page of an event, and the organiser's open/close and check-in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.core.access_rules import PUBLIC, access_rule, record

from ..actions import events as actions
from ..models import Campaign, CampaignMember

CHANGE = "marketing.change_campaign"
FIELDS = ("name", "email", "company", "mobile")


def _ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")[:64]


@access_rule(PUBLIC)
@require_http_methods(["GET", "POST"])
def event_register(request, key: str):
    """Anyone with the address may register (the secret key names the event)."""
    campaign = Campaign.objects.filter(registration_key=key).exclude(registration_key="").first()
    if campaign is None or not key:
        raise Http404
    ctx = {"campaign": campaign, "values": {}, "errors": {}}
    if request.method == "GET":
        return render(request, "marketing/event_register.html", ctx)
    values = {name: request.POST.get(name, "")[:254] for name in FIELDS}
    ctx["values"] = values
    if request.POST.get("website"):  # the honeypot: look successful, keep nothing
        ctx["done"] = True
        return render(request, "marketing/event_register.html", ctx)
    if not actions.rate_ok(_ip(request)):
        ctx["error"] = _("Too many registrations from your address. Please try again later.")
        return render(request, "marketing/event_register.html", ctx, status=429)
    try:
        actions.register(campaign=campaign, **values)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            ctx["errors"] = {
                k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()
            }
        else:
            ctx["error"] = " ".join(exc.messages)
        return render(request, "marketing/event_register.html", ctx, status=400)
    ctx["done"] = True
    return render(request, "marketing/event_register.html", ctx)


def _campaign(request, pk: int) -> Campaign:
    return get_object_or_404(Campaign.objects.visible_to(request.user), pk=pk)


@access_rule(record("marketing.campaign", CHANGE))
@login_required
@require_POST
def event_registration(request, pk: int):
    """Open (a new secret address) or close an event's registration page."""
    campaign = _campaign(request, pk)
    try:
        if request.POST.get("close"):
            actions.close_registration(campaign=campaign, user=request.user)
        else:
            actions.open_registration(campaign=campaign, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(campaign.get_absolute_url() + "#event")


@access_rule(record("marketing.campaign", CHANGE))
@login_required
@require_POST
def event_check_in(request, pk: int, member_pk: int):
    campaign = _campaign(request, pk)
    member = get_object_or_404(CampaignMember, pk=member_pk, campaign=campaign)
    actions.check_in(member=member, user=request.user)
    return redirect(campaign.get_absolute_url() + "#members")
