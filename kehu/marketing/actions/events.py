"""Events and seminars (会议/研讨会): a public registration page per event, a confirmation
e-mail with an iCalendar invitation, and check-in."""

from __future__ import annotations

import datetime
import logging
import secrets

import icalendar
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Campaign, CampaignMember
from .campaigns import check_campaign_editable

S = CampaignMember.Status
logger = logging.getLogger(__name__)
#: Registrations one visitor address may make per hour (a bot filling the form stops there).
RATE_PER_HOUR = 20


@transaction.atomic
def open_registration(*, campaign: Campaign, user) -> Campaign:
    """Give an event its public registration address (a new secret each time it is opened)."""
    campaign = check_campaign_editable(campaign=campaign, user=user)
    if campaign.kind != Campaign.Kind.EVENT:
        raise ValidationError(_("Only events and seminars take registrations."), code="not_event")
    campaign.registration_key = secrets.token_urlsafe(18)
    campaign.save()
    return campaign


@transaction.atomic
def close_registration(*, campaign: Campaign, user) -> Campaign:
    campaign = check_campaign_editable(campaign=campaign, user=user)
    campaign.registration_key = ""
    campaign.save()
    return campaign


def registration_url(campaign: Campaign) -> str:
    return settings.KEHU_SITE_URL.rstrip("/") + reverse(
        "marketing:event_register", args=[campaign.registration_key]
    )


def rate_ok(ip: str) -> bool:
    key = f"kehu:event-register:{ip}"
    n = cache.get_or_set(key, 0, 3600)
    if n >= RATE_PER_HOUR:
        return False
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, 3600)
    return True


def invitation(campaign: Campaign, member: CampaignMember) -> bytes:
    """An iCalendar (RFC 5545) invitation: the event's days, all-day, with its location."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Kehu CRM//Events//ZH")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"campaign-{campaign.pk}-member-{member.pk}@kehu")
    event.add("summary", campaign.name)
    start = campaign.start_date or timezone.localdate()
    end = (campaign.end_date or start) + datetime.timedelta(days=1)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("dtstamp", timezone.now())
    if campaign.location:
        event.add("location", campaign.location)
    if campaign.description:
        event.add("description", campaign.description[:2000])
    cal.add_component(event)
    return cal.to_ical()


def send_confirmation(campaign: Campaign, member: CampaignMember) -> None:
    start = campaign.start_date.isoformat() if campaign.start_date else ""
    mail = EmailMessage(
        subject=_("Registration confirmed: %(event)s") % {"event": campaign.name},
        body=_(
            "Dear %(name)s,\n\nyou are registered for %(event)s on %(date)s%(place)s. The "
            "invitation is attached: open it to add the event to your calendar.\n\nSee you there."
        )
        % {
            "name": member.name,
            "event": campaign.name,
            "date": start,
            "place": f", {campaign.location}" if campaign.location else "",
        },
        to=[member.email],
    )
    mail.attach("invitation.ics", invitation(campaign, member), "text/calendar")
    mail.send()


def _confirm(campaign: Campaign, member: CampaignMember) -> None:
    """The confirmation must not undo a registration that is saved: a mail server that is
    down is logged (the organiser sees the member and can resend)."""
    try:
        send_confirmation(campaign, member)
    except Exception:  # noqa: BLE001 — SMTP, DNS, socket: all the same to the visitor
        logger.warning("event confirmation to member %s not sent", member.pk, exc_info=True)


@transaction.atomic
def register(
    *, campaign: Campaign, name: str, email: str, company: str = "", mobile: str = ""
) -> CampaignMember:
    """A visitor registers for an open event: one member per e-mail address (registering twice
    changes nothing and sends nothing more), confirmed by e-mail after the save commits."""
    name = (name or "").strip()[:100]
    email = (email or "").strip()[:254]
    errors = {}
    if not name:
        errors["name"] = _("Please enter your name.")
    try:
        validate_email(email)
        if "\n" in email or "\r" in email:
            raise ValidationError("newline")
    except ValidationError:
        errors["email"] = _("Please enter a valid e-mail address.")
    if errors:
        raise ValidationError(errors)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not campaign.registration_key or campaign.status in (
        Campaign.Status.COMPLETED,
        Campaign.Status.CANCELLED,
    ):
        raise ValidationError(_("Registration for this event is closed."), code="closed")
    existing = campaign.members.filter(email__iexact=email).first()
    if existing is not None:
        return existing
    label = f"{name}（{company.strip()[:80]}）" if company.strip() else name
    member = CampaignMember(
        campaign=campaign,
        name=label[:200],
        email=email,
        status=S.REGISTERED,
        response=(f"{company.strip()[:100]} {mobile.strip()[:30]}").strip(),
        responded_at=timezone.now(),
    )
    member.save()
    transaction.on_commit(lambda: _confirm(campaign, member))
    return member


@transaction.atomic
def check_in(*, member: CampaignMember, user) -> CampaignMember:
    """Mark a registered (or invited) person as present at the event."""
    check_campaign_editable(campaign=member.campaign, user=user)
    member = CampaignMember.objects.select_for_update().get(pk=member.pk)
    member.status = S.ATTENDED
    member.responded_at = member.responded_at or timezone.now()
    member.save()
    return member
