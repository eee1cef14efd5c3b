"""Send a campaign by e-mail to its members through the shared messaging layer."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.audit import audited_bulk_update
from kehu.system.messaging import actions as messaging

from ..models import Campaign, CampaignMailing, CampaignMember
from .campaigns import check_campaign_editable

S = CampaignMember.Status


def material_key(campaign: Campaign, material: str = "") -> str:
    """What "the same material" means: each e-mail of a campaign is its own material, unless the
    marketer names one, so that two campaigns (two departments) sending one newsletter never
    send it twice to an address."""
    material = (material or "").strip()[:150]
    if material:
        return f"marketing.{material}"
    return f"marketing.campaign.{campaign.number}.{campaign.mailings.count() + 1}"


def recipients(campaign: Campaign) -> list[dict]:
    members = (
        campaign.members.exclude(status=S.UNSUBSCRIBED)
        .exclude(email="")
        .select_related("customer", "customer__owner", "contact")
        .order_by("pk")
    )
    out = []
    for m in members:
        customer = m.customer
        out.append(
            {
                "address": m.email,
                "context": {
                    "name": m.contact.name if m.contact else m.name,
                    "company": customer.name if customer else "",
                    "title": getattr(m.contact, "title", "") if m.contact else "",
                    "owner": str(customer.owner) if customer and customer.owner_id else "",
                },
            }
        )
    return out


def _message(campaign: Campaign, *, user, subject: str, text: str, html: str, material: str):
    return messaging.create_message(
        material=material_key(campaign, material),
        subject=subject,
        text=text,
        html=html,
        sender=campaign.name[:100],
        source=f"marketing.campaign:{campaign.pk}",
        created_by=user,
    )


@transaction.atomic
def send_campaign_email(
    *, campaign: Campaign, user, subject: str, text: str, html: str = "", material: str = ""
) -> CampaignMailing:
    """Queue the e-mail for every member with an address who has not unsubscribed, and send it
    in the background. Suppressed addresses (unsubscribed, bounced) are skipped at send time by
    the messaging layer, everywhere; an address that already received this material is not sent
    it again. Members targeted so far become "sent"."""
    campaign = check_campaign_editable(campaign=campaign, user=user)
    if campaign.status in (Campaign.Status.COMPLETED, Campaign.Status.CANCELLED):
        raise ValidationError(
            {"subject": ValidationError(_("The campaign is closed."), code="closed")}
        )
    people = recipients(campaign)
    if not people:
        raise ValidationError(
            {
                "subject": ValidationError(
                    _("No member of this campaign has an e-mail address."), code="no_recipients"
                )
            }
        )
    message = _message(
        campaign, user=user, subject=subject, text=text, html=html, material=material
    )
    result = messaging.queue_deliveries(message=message, recipients=people)
    mailing = CampaignMailing(
        campaign=campaign,
        message=message,
        queued=result.queued,
        duplicates=result.duplicates,
        invalid=len(result.invalid),
    )
    mailing.save()
    targeted = campaign.members.filter(status=S.TARGETED).exclude(email="")
    if targeted.exists():
        audited_bulk_update(targeted, status=S.SENT)
    messaging.send_message(message=message)
    return mailing


def send_test_email(
    *, campaign: Campaign, user, address: str, subject: str, text: str, html: str = ""
):
    """The e-mail as the first member would get it, sent to ``address`` (nothing recorded)."""
    check_campaign_editable(campaign=campaign, user=user)
    people = recipients(campaign)
    context = people[0]["context"] if people else {"name": str(user)}
    message = messaging.create_message(
        material=f"marketing.test.{campaign.pk}",
        subject=subject,
        text=text,
        html=html,
        sender=campaign.name[:100],
    )
    return messaging.send_test(message=message, address=address, context=context)


def member_unsubscribed(sender, delivery, **kwargs) -> None:
    """A recipient unsubscribed from a campaign e-mail: the campaign's member with that address
    becomes "unsubscribed" (audited), so lists and segments show it at once."""
    members = CampaignMember.objects.filter(
        campaign__mailings__message_id=delivery.message_id, email__iexact=delivery.address
    ).exclude(status=S.UNSUBSCRIBED)
    ids = list(members.values_list("pk", flat=True))
    if ids:
        audited_bulk_update(CampaignMember.objects.filter(pk__in=ids), status=S.UNSUBSCRIBED)
