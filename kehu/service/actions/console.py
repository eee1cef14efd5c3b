"""The call-centre console: who is calling (the number, normalised like the customers' search),
what is open for them, and logging the call as an activity of the customer."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.phones import national

from ..models import ServiceRequest
from ..models.requests import OPEN_STATUSES

MAX_MATCHES = 5
MAX_DURATION = 24 * 3600


@dataclass
class Caller:
    customer: object
    contact: object | None = None
    open_requests: list = field(default_factory=list)
    activities: list = field(default_factory=list)


def normalise_number(raw: str) -> str:
    """The digits the search compares (``kehu.core.phones.national``); "" when not a number."""
    raw = (raw or "").strip()[:40]
    digits = national(raw) if raw else ""
    return digits if 5 <= len(digits) <= 20 else ""


def find_callers(user, raw: str) -> list[Caller]:
    """The customers (and contacts) with this phone number the user may see, each with its
    open requests and latest activities; the contact's customer counts as the caller."""
    from kehu.core.search import search
    from kehu.customers.models import Activity, Contact, Customer

    number = normalise_number(raw)
    if not number:
        return []
    customers = list(
        search(Customer.objects.visible_to(user), number).order_by("-pk")[:MAX_MATCHES]
    )
    seen = {c.pk for c in customers}
    contacts = {}
    for contact in (
        search(Contact.objects.visible_to(user), number)
        .select_related("customer")
        .order_by("-pk")[:MAX_MATCHES]
    ):
        if contact.customer_id and contact.customer_id not in seen:
            customers.append(contact.customer)
            seen.add(contact.customer_id)
        contacts.setdefault(contact.customer_id, contact)
    callers = [Caller(customer=c, contact=contacts.get(c.pk)) for c in customers[:MAX_MATCHES]]
    ids = [c.customer.pk for c in callers]
    requests = (
        ServiceRequest.objects.visible_to(user)
        .filter(customer_id__in=ids, status__in=OPEN_STATUSES)
        .select_related("agent")
        .order_by("-pk")
    )
    for req in requests:
        next(c for c in callers if c.customer.pk == req.customer_id).open_requests.append(req)
    for caller in callers:
        caller.activities = list(
            Activity.objects.visible_to(user)
            .filter(customer_id=caller.customer.pk)
            .order_by("-start_at", "-pk")[:5]
        )
    return callers


@transaction.atomic
def log_call(
    *,
    user,
    customer,
    phone: str,
    duration_seconds: int,
    outcome: str,
    subject: str = "",
    request: ServiceRequest | None = None,
    started_at: datetime.datetime | None = None,
):
    """Log the call as a done *call* activity of the customer with its duration and outcome
    (linked to the request when one is given). An agent logs calls of any customer they may
    see: answering the phone is their job even for customers someone else owns."""
    from kehu.customers.actions.activity import save_activity
    from kehu.customers.models import Activity

    if not 0 <= duration_seconds <= MAX_DURATION:
        raise ValidationError(
            {"duration": _("The duration must be between 0 and 24 hours.")}, code="duration"
        )
    if request is not None and request.customer_id != customer.pk:
        raise ValidationError(
            {"request": _("This request belongs to another customer.")}, code="customer_mismatch"
        )
    end = started_at or timezone.now()
    start = end - datetime.timedelta(seconds=duration_seconds)
    minutes, seconds = divmod(duration_seconds, 60)
    activity = Activity(
        customer=customer,
        kind=Activity.Kind.CALL,
        subject=(subject or _("Call from %(phone)s") % {"phone": phone or "—"})[:200],
        start_at=start,
        end_at=end,
        status=Activity.Status.DONE,
        outcome=outcome,
        description=_("Duration %(m)d min %(s)02d s.") % {"m": minutes, "s": seconds},
        owner=user,
        department_id=user.department_id,
    )
    if request is not None:
        activity.linked = request
    # user=None: the customer-edit check of save_activity is the salesperson's rule, not the
    # call centre's (see the docstring); the owner is set above.
    return save_activity(activity=activity, user=None, contacts=[])
