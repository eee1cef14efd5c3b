"""Start-up registrations of satisfaction surveys and the portal: the survey is sent when the
audit writer reports a request that became resolved or closed; answered surveys and portal
comments are entries of the customer's 360° timeline; the customer page gets a card with the
contacts' portal access."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def survey_entries(customer, user, *, before, limit):
    from kehu.customers.timeline import TimelineEntry

    from ..actions.surveys import score_labels, visible_surveys

    qs = visible_surveys(user).filter(customer=customer, responded_at__isnull=False)
    if before is not None:
        qs = qs.filter(responded_at__lte=before)
    labels = score_labels()
    for s in qs.select_related("request").order_by("-responded_at", "-pk")[:limit]:
        colour = "success" if s.score >= 4 else "warning" if s.score == 3 else "danger"
        yield TimelineEntry(
            when=s.responded_at,
            kind="survey",
            icon="bi-emoji-smile",
            title=_("Satisfaction survey: %(score)s/5 (%(request)s)")
            % {"score": s.score, "request": s.request.number},
            summary=s.comment[:300],
            url=s.request.get_absolute_url(),
            badges=[(str(labels.get(s.score, "")), colour)],
        )


def comment_entries(customer, user, *, before, limit):
    from kehu.customers.timeline import TimelineEntry

    from ..models import RequestComment, ServiceRequest

    qs = RequestComment.objects.filter(
        request__in=ServiceRequest.objects.visible_to(user).filter(customer=customer)
    )
    if before is not None:
        qs = qs.filter(created_at__lte=before)
    for c in qs.select_related("request", "account__contact", "author").order_by(
        "-created_at", "-pk"
    )[:limit]:
        yield TimelineEntry(
            when=c.created_at,
            kind="portal_comment",
            icon="bi-chat-left-text",
            title=_("Portal comment on %(request)s") % {"request": c.request.number},
            summary=c.text[:300],
            url=c.request.get_absolute_url(),
            actor=c.account.contact.name if c.account_id else str(c.author or ""),
        )


def portal_panel(customer, user):
    from kehu.customers.models import Contact

    from ..models import PortalAccount

    contacts = list(
        Contact.objects.visible_to(user).filter(customer=customer).order_by("name", "pk")[:20]
    )
    if not contacts:
        return None
    accounts = {
        a.contact_id: a for a in PortalAccount.objects.filter(contact__in=[c.pk for c in contacts])
    }
    return {"rows": [(c, accounts.get(c.pk)) for c in contacts]}


def ready() -> None:
    from kehu.core.events import records_changed
    from kehu.core.registry import Page, register_page
    from kehu.customers.timeline import register_customer_panel, register_timeline_source

    from ..actions.surveys import on_records_changed

    records_changed.connect(on_records_changed, dispatch_uid="kehu.service.surveys")
    register_page(
        Page(
            module="service",
            label=gettext_lazy("Satisfaction surveys"),
            url_name="service:survey_report",
            perm="service.view_surveyresponse",
            icon="bi-emoji-smile",
            order=62,
        )
    )
    register_timeline_source(
        "service_surveys",
        survey_entries,
        label=gettext_lazy("Satisfaction surveys"),
        perm="service.view_surveyresponse",
        order=60,
    )
    register_timeline_source(
        "service_portal_comments",
        comment_entries,
        label=gettext_lazy("Portal comments"),
        perm="service.view_servicerequest",
        order=61,
    )
    register_customer_panel(
        "service_portal",
        label=gettext_lazy("Portal access"),
        template="service/portal/_customer_panel.html",
        context=portal_panel,
        perm="service.add_portalaccount",
        order=60,
    )
