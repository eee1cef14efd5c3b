"""The campaign page's e-mail card: send the campaign to its members, or a test to yourself."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.access_rules import access_rule, record
from kehu.system.messaging import actions as messaging
from kehu.system.messaging.providers import ProviderError

from ..actions.mailings import send_campaign_email, send_test_email
from ..models import Campaign, CampaignMailing

CHANGE = "marketing.change_campaign"


def mailings_context(campaign: Campaign) -> dict:
    rows = list(CampaignMailing.objects.filter(campaign=campaign).select_related("message")[:20])
    return {"mailings": [(m, messaging.message_counts(m.message)) for m in rows]}


@access_rule(record("marketing.campaign", CHANGE))
@login_required
@require_POST
def campaign_email(request, pk: int):
    campaign = get_object_or_404(Campaign.objects.visible_to(request.user), pk=pk)
    fields = {
        "subject": request.POST.get("subject", "")[:200],
        "text": request.POST.get("text", "")[:20000],
        "html": request.POST.get("html", "")[:100000],
    }
    try:
        if request.POST.get("test"):
            address = request.user.email or ""
            if not address:
                raise ValidationError(_("Your account has no e-mail address for the test."))
            send_test_email(campaign=campaign, user=request.user, address=address, **fields)
            messages.success(request, _("A test was sent to %(address)s.") % {"address": address})
        else:
            mailing = send_campaign_email(
                campaign=campaign,
                user=request.user,
                material=request.POST.get("material", "")[:150],
                **fields,
            )
            messages.success(
                request,
                _("%(n)s e-mails are being sent (%(dup)s already had this material).")
                % {"n": mailing.queued, "dup": mailing.duplicates},
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ProviderError as exc:
        messages.error(request, _("The mail server refused: %(error)s") % {"error": exc})
    return redirect(campaign.get_absolute_url() + "#email")
