"""Service requests: creation (number, entitlement, priority, SLA clocks, routing), edits, and
the status flow (first response, waiting on the customer pauses the clock, resolving or closing
needs resolution notes)."""

from __future__ import annotations

import datetime
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.numbering import take_numbers

from ..models import InstalledProduct, ServiceContract, ServiceRequest
from . import sla
from .routing import route_request

NUMBER_PATTERN = "SR{YYYY}{MM}-{seq:5}"
PRIORITY_RANK = {p: n for n, p in enumerate(ServiceRequest.Priority.values)}
#: The least priority a request gets under each service level (gold customers wait less).
LEVEL_FLOOR = {"gold": "high", "silver": "normal"}
S = ServiceRequest.Status

#: status → the statuses it can move to
MOVES = {
    S.NEW: (S.ASSIGNED, S.IN_PROGRESS, S.WAITING, S.RESOLVED, S.CLOSED),
    S.ASSIGNED: (S.IN_PROGRESS, S.WAITING, S.RESOLVED, S.CLOSED),
    S.IN_PROGRESS: (S.WAITING, S.RESOLVED, S.CLOSED),
    S.WAITING: (S.IN_PROGRESS, S.RESOLVED, S.CLOSED),
    S.RESOLVED: (S.CLOSED, S.IN_PROGRESS),
    S.CLOSED: (),
}
#: the statuses that are an answer to the customer (the first one stops the response clock)
RESPONDED = (S.IN_PROGRESS, S.WAITING, S.RESOLVED, S.CLOSED)


class RequestError(StrEnum):
    RESOLUTION_REQUIRED = "resolution_required"
    TRANSITION = "invalid_transition"
    CUSTOMER_MISMATCH = "customer_mismatch"
    CLOSED = "request_closed"
    CUSTOMER_REQUIRED = "customer_required"


def field_error(name: str, message, code: str) -> ValidationError:
    return ValidationError({name: ValidationError(message, code=code)})


def take_request_number() -> str:
    return take_numbers(
        NUMBER_PATTERN,
        1,
        queryset=ServiceRequest.objects.all(),
        field="number",
        label="service.request",
    )[0]


# --- Entitlement --------------------------------------------------------------------------------


def check_entitlement(
    *, customer_id: int, product_id: int | None, serial_number: str, day: datetime.date
) -> tuple[str, ServiceContract | None, InstalledProduct | None, str]:
    """What entitles the customer to service today: an active service contract covering the
    product (or every product), else the warranty of the installed product with this serial
    number. (entitlement, contract, installed product, explanation)."""
    installed = None
    if serial_number:
        found = InstalledProduct.objects.filter(
            customer_id=customer_id, serial_number=serial_number
        )
        if product_id:
            found = found.filter(product_id=product_id)
        installed = found.select_related("product").first()
        if installed is not None and product_id is None:
            product_id = installed.product_id
    contracts = ServiceContract.objects.filter(
        customer_id=customer_id, start_date__lte=day, end_date__gte=day
    )
    if product_id:
        contracts = contracts.filter(Q(products=None) | Q(products=product_id))
    else:
        contracts = contracts.filter(products=None)
    contract = contracts.order_by("-end_date", "pk").first()
    if contract is not None:
        note = _("Contract %(number)s (%(level)s) valid until %(end)s.") % {
            "number": contract.number,
            "level": contract.get_level_display(),
            "end": contract.end_date,
        }
        return ServiceRequest.Entitlement.CONTRACT, contract, installed, note
    if installed is not None and installed.under_warranty(day):
        note = _("Serial %(serial)s under warranty until %(end)s.") % {
            "serial": installed.serial_number,
            "end": installed.warranty_end,
        }
        return ServiceRequest.Entitlement.WARRANTY, None, installed, note
    if installed is not None and installed.warranty_end:
        note = _("Serial %(serial)s: warranty ended %(end)s; no service contract.") % {
            "serial": installed.serial_number,
            "end": installed.warranty_end,
        }
    elif serial_number and installed is None:
        note = _("Serial %(serial)s is not registered for this customer; no service contract.") % {
            "serial": serial_number
        }
    else:
        note = _("No service contract or warranty covers this request.")
    return ServiceRequest.Entitlement.NONE, None, installed, note


def _raise_priority(current: str, floor: str | None) -> str:
    if floor and PRIORITY_RANK[floor] > PRIORITY_RANK[current]:
        return floor
    return current


def apply_entitlement(req: ServiceRequest, *, day: datetime.date) -> None:
    if req.customer_id is None:  # an e-mail from an unknown sender: nothing to check yet
        req.entitlement, req.contract, req.installed_product = (
            ServiceRequest.Entitlement.NONE,
            None,
            None,
        )
        req.entitlement_note = _("Unknown sender: choose the customer to check the entitlement.")
        req.service_level = ""
        return
    kind, contract, installed, note = check_entitlement(
        customer_id=req.customer_id,
        product_id=req.product_id,
        serial_number=req.serial_number,
        day=day,
    )
    req.entitlement, req.contract, req.installed_product = kind, contract, installed
    req.entitlement_note = note[:300]
    if installed is not None and not req.product_id:
        req.product_id = installed.product_id
    req.service_level = contract.level if contract else ""
    req.priority = _raise_priority(req.priority, LEVEL_FLOOR.get(req.service_level))
    if kind == ServiceRequest.Entitlement.WARRANTY:
        req.priority = _raise_priority(req.priority, "normal")
    if req.type == ServiceRequest.Type.COMPLAINT:
        req.priority = _raise_priority(req.priority, "high")


# --- Create and edit ----------------------------------------------------------------------------


@transaction.atomic
def save_request(
    req: ServiceRequest, *, user, route: bool = True, now: datetime.datetime | None = None
) -> ServiceRequest:
    """Create (number, entitlement, priority, SLA clocks, routing) or edit a request."""
    now = now or timezone.now()
    adding = req._state.adding
    # only a request opened by an e-mail from an unknown sender is without a customer, until an
    # agent chooses one (a customer is never taken off)
    stranger = req.unknown_sender and (
        adding or not ServiceRequest.objects.filter(pk=req.pk, customer__isnull=False).exists()
    )
    if req.customer_id is None and not stranger:
        raise field_error("customer", _("Choose the customer."), RequestError.CUSTOMER_REQUIRED)
    if req.customer_id is not None:
        req.unknown_sender = False  # an agent chose the customer of a stranger's e-mail
    if req.contact_id and req.contact.customer_id != req.customer_id:
        raise field_error(
            "contact",
            _("This contact belongs to another customer."),
            RequestError.CUSTOMER_MISMATCH,
        )
    req.serial_number = (req.serial_number or "").strip()
    if adding:
        if not req.owner_id:
            req.owner = user
        if not req.department_id:
            req.department_id = req.owner.department_id
        req.created_at = req.created_at or now
        req.number = take_request_number()
        apply_entitlement(req, day=timezone.localtime(req.created_at).date())
        sla.start_clocks(req, now=now)
        req.full_clean(exclude=["owner", "department"] if req.department_id is None else None)
        if route and req.agent_id is None:
            route_request(req, now=now)
    else:
        old = ServiceRequest.objects.select_for_update().get(pk=req.pk)
        if old.status == S.CLOSED:
            raise ValidationError(_("A closed request is not edited."), code=RequestError.CLOSED)
        if old.priority != req.priority or old.customer_id != req.customer_id:
            if old.customer_id != req.customer_id or old.serial_number != req.serial_number:
                apply_entitlement(req, day=timezone.localtime(req.created_at).date())
            if req.first_response_at is None:
                sla.start_clocks(req, now=now)
            else:
                _p, _r, resolution_h = sla.policy_for(
                    level=req.service_level, priority=req.priority
                )
                req.resolution_target = int(resolution_h * 60)
                req.resolution_due = sla.add_working_minutes(
                    req.created_at, req.resolution_target + req.paused_minutes
                )
        req.full_clean(exclude=["owner", "department"] if req.department_id is None else None)
    req.save()
    return req


# --- Status flow --------------------------------------------------------------------------------


@transaction.atomic
def move_request(
    req: ServiceRequest,
    status: str,
    *,
    user,
    resolution: str = "",
    now: datetime.datetime | None = None,
) -> ServiceRequest:
    """Move the request on. The first answer (in progress, waiting, resolved, closed) stops
    the response clock; waiting on the customer pauses the resolution clock and any other move
    resumes it; resolving or closing without resolution notes is refused."""
    now = now or timezone.now()
    req = ServiceRequest.objects.select_for_update().get(pk=req.pk)
    if status not in MOVES.get(req.status, ()):
        raise ValidationError(
            _("A request that is “%(from)s” cannot be moved to “%(to)s”.")
            % {
                "from": req.get_status_display(),
                "to": S(status).label if status in S.values else status,
            },
            code=RequestError.TRANSITION,
        )
    resolution = (resolution or "").strip()
    if resolution:
        req.resolution = resolution
    if status in (S.RESOLVED, S.CLOSED) and not req.resolution.strip():
        raise field_error(
            "resolution",
            _("Write the resolution notes before resolving or closing the request."),
            RequestError.RESOLUTION_REQUIRED,
        )
    if status == S.ASSIGNED and req.agent_id is None:
        req.agent = user
    if status in RESPONDED and req.first_response_at is None:
        req.first_response_at = now
        req.response_met = req.first_response_due is None or now <= req.first_response_due
    if status == S.WAITING:
        sla.pause(req, now=now)
    else:
        sla.resume(req, now=now)
    if status in (S.RESOLVED, S.CLOSED) and req.resolved_at is None:
        req.resolved_at = now
        req.resolution_met = req.resolution_due is None or now <= req.resolution_due
    if status == S.CLOSED:
        req.closed_at = now
    if status == S.IN_PROGRESS and req.status == S.RESOLVED:  # reopened
        req.resolved_at = None
        req.resolution_met = None
    req.status = status
    req.save()
    return req
