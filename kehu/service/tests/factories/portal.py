"""Helpers for the portal and survey tests (portal accounts and surveys are not registry types,
so no ``@factory``: the route matrix never probes them as staff records)."""

from __future__ import annotations

import itertools

_SEQ = itertools.count(1)


def portal_account(owner, *, customer=None, email=None, password="Portal-pw-2026!", **kw):
    """A contact of ``customer`` (a new one of ``owner`` unless given) with a portal account
    whose password is set."""
    from kehu.customers.tests.factories import contact
    from kehu.service.actions import portal

    n = next(_SEQ)
    email = email or f"portal{owner.pk}-{n}@customer.test"
    person = contact(owner, 9000 + n, email=email, **({"customer": customer} if customer else {}))
    account, _path = portal.invite_contact(contact=person, user=owner)
    if password:
        account = portal.set_password(account=account, password=password)
    return account


def survey(req, *, email="survey@customer.test", sent_at=None, **kw):
    from django.utils import timezone

    from kehu.service.models import SurveyResponse

    return SurveyResponse.objects.create(
        request=req,
        customer_id=req.customer_id,
        contact_id=req.contact_id,
        agent_id=req.agent_id,
        category=req.category,
        address=email,
        sent_at=sent_at or timezone.now(),
        **kw,
    )
