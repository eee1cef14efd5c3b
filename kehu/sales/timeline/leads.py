"""The customer's 360° timeline: the leads that converted into this customer."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models.leads import Lead


def converted_leads(customer, user, *, before, limit):
    from kehu.customers.timeline import TimelineEntry

    qs = Lead.objects.visible_to(user).filter(
        converted_customer=customer, converted_at__isnull=False
    )
    if before is not None:
        qs = qs.filter(converted_at__lte=before)
    for lead in qs.select_related("owner").order_by("-converted_at", "-pk")[:limit]:
        source = lead.get_source_display() if lead.source else ""
        yield TimelineEntry(
            when=lead.converted_at,
            kind="lead",
            icon="bi-person-lines-fill",
            title=_("Lead converted: %(lead)s") % {"lead": lead},
            summary=" · ".join(
                v
                for v in (source, lead.campaign, _("score %(score)s") % {"score": lead.score})
                if v
            ),
            url=lead.get_absolute_url(),
            actor=str(lead.owner),
        )


def register() -> None:
    from kehu.customers.timeline import register_timeline_source

    register_timeline_source(
        "leads", converted_leads, label=gettext_lazy("Leads"), perm="sales.view_lead", order=40
    )
