"""The customer self-service portal: inviting a contact, the one-time password link, signing
in and out, and what a portal account may see and do.

A portal account is never a Kehu user. Signing in stores the account's id under its own session
key (:data:`SESSION_KEY`) and never calls ``django.contrib.auth.login``, so every staff page
and API route sees an anonymous visitor. Everything a portal page shows starts from
:func:`portal_requests` (the requests of the account's contact's customer); an id outside it is
a 404, the same answer as an id that does not exist."""

from __future__ import annotations

import datetime
import hashlib
from enum import StrEnum

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.models import AuditLog

from ..models import PortalAccount, RequestComment, ServiceRequest

SESSION_KEY = "kehu_portal_account"
PASSWORD_SALT = "kehu.service.portal.password"
#: How long the link that sets the password stays valid.
PASSWORD_LINK_DAYS = 7
MAX_FAILED_LOGINS = 5
LOCKOUT = datetime.timedelta(minutes=15)


class PortalError(StrEnum):
    NO_EMAIL = "contact_without_email"
    EMAIL_TAKEN = "email_taken"
    INVALID_LINK = "invalid_link"
    EXPIRED_LINK = "expired_link"
    CLOSED = "request_closed"
    EMPTY = "empty"


# --- Invitation and password ---------------------------------------------------------------------


def _fingerprint(account: PortalAccount) -> str:
    """Changes when the password is set: a used link is worth nothing afterwards."""
    state = f"{account.password}|{account.password_set_at}|{account.is_active}"
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def password_token(account: PortalAccount) -> str:
    return signing.TimestampSigner(salt=PASSWORD_SALT).sign(f"{account.pk}.{_fingerprint(account)}")


def account_for_password_token(token: str) -> PortalAccount:
    try:
        value = signing.TimestampSigner(salt=PASSWORD_SALT).unsign(
            token, max_age=datetime.timedelta(days=PASSWORD_LINK_DAYS)
        )
    except signing.SignatureExpired:
        raise ValidationError(
            _("This link has expired. Ask your contact person for a new invitation."),
            code=PortalError.EXPIRED_LINK,
        ) from None
    except signing.BadSignature:
        raise ValidationError(_("This link is not valid."), code=PortalError.INVALID_LINK) from None
    pk, _dot, fingerprint = value.partition(".")
    account = PortalAccount.objects.filter(pk=int(pk) if pk.isdigit() else 0).first()
    if account is None or not account.is_active or _fingerprint(account) != fingerprint:
        raise ValidationError(
            _("This link has been used already or is not valid."), code=PortalError.INVALID_LINK
        )
    return account


def check_invite(*, contact) -> None:
    email = (contact.email or "").strip().lower()
    if not email:
        raise ValidationError(
            _("Add an e-mail address to the contact first: it is the portal sign-in."),
            code=PortalError.NO_EMAIL,
        )
    taken = PortalAccount.objects.filter(email=email).exclude(contact=contact)
    if taken.exists():
        raise ValidationError(
            _("Another contact already signs in to the portal with %(email)s.") % {"email": email},
            code=PortalError.EMAIL_TAKEN,
        )


@transaction.atomic
def invite_contact(
    *, contact, user, now: datetime.datetime | None = None
) -> tuple[PortalAccount, str]:
    """Create (or re-activate) the contact's portal account and return it with the one-time
    link path that sets its password (valid :data:`PASSWORD_LINK_DAYS` days)."""
    from django.urls import reverse

    check_invite(contact=contact)
    now = now or timezone.now()
    email = contact.email.strip().lower()
    account = PortalAccount.objects.select_for_update().filter(contact=contact).first()
    if account is None:
        account = PortalAccount.objects.create(
            contact=contact, email=email, invited_by=user, invited_at=now
        )
    else:
        account.email, account.is_active = email, True
        account.invited_by, account.invited_at = user, now
        account.save(update_fields=["email", "is_active", "invited_by", "invited_at"])
    # Granting portal access is a permission change on the contact (who, when, which address).
    AuditLog.record(
        contact, AuditLog.Action.PERMISSION, {"portal_account": [None, email]}, user=user
    )
    return account, reverse("service:portal_set_password", args=[password_token(account)])


@transaction.atomic
def deactivate_account(*, account: PortalAccount, user) -> PortalAccount:
    account.is_active = False
    account.save(update_fields=["is_active"])
    AuditLog.record(
        account.contact,
        AuditLog.Action.PERMISSION,
        {"portal_account": [account.email, None]},
        user=user,
    )
    return account


@transaction.atomic
def set_password(*, account: PortalAccount, password: str, now=None) -> PortalAccount:
    """Set the password (Django's validators apply); the link that led here stops working."""
    validate_password(password)
    account = PortalAccount.objects.select_for_update().get(pk=account.pk)
    account.password = make_password(password)
    account.password_set_at = now or timezone.now()
    account.failed_logins, account.locked_until = 0, None
    account.save(update_fields=["password", "password_set_at", "failed_logins", "locked_until"])
    return account


# --- Signing in ---------------------------------------------------------------------------------

_DUMMY = make_password("kehu-portal-timing")


def authenticate(*, email: str, password: str, now=None) -> PortalAccount | None:
    """The account for these credentials, or ``None`` (unknown, wrong, inactive, locked: the
    same answer). After :data:`MAX_FAILED_LOGINS` failures the account is locked a while."""
    now = now or timezone.now()
    email = (email or "").strip().lower()
    with transaction.atomic():
        account = PortalAccount.objects.select_for_update().filter(email=email).first()
        if account is None or not account.password:
            check_password(password, _DUMMY)  # the same time for an unknown address
            return None
        if not account.is_active or (account.locked_until and account.locked_until > now):
            check_password(password, _DUMMY)
            return None
        if not check_password(password, account.password):
            account.failed_logins += 1
            if account.failed_logins >= MAX_FAILED_LOGINS:
                account.locked_until, account.failed_logins = now + LOCKOUT, 0
            account.save(update_fields=["failed_logins", "locked_until"])
            return None
        account.failed_logins, account.locked_until, account.last_login = 0, None, now
        account.save(update_fields=["failed_logins", "locked_until", "last_login"])
    return account


def sign_in(request, account: PortalAccount) -> None:
    request.session.cycle_key()  # no session fixation
    request.session[SESSION_KEY] = account.pk


def sign_out(request) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def current_account(request) -> PortalAccount | None:
    pk = request.session.get(SESSION_KEY)
    if not isinstance(pk, int):
        return None
    return (
        PortalAccount.objects.select_related("contact__customer")
        .filter(pk=pk, is_active=True, contact__deleted_at__isnull=True)
        .first()
    )


# --- What a portal account sees and does --------------------------------------------------------


def portal_requests(account: PortalAccount):
    """The requests of the account's customer: the only records a portal page reads."""
    return ServiceRequest.objects.filter(customer_id=account.contact.customer_id)


@transaction.atomic
def open_request(
    *,
    account: PortalAccount,
    subject: str,
    description: str,
    category: str = "",
    serial_number: str = "",
    now=None,
) -> ServiceRequest:
    """A new request from the portal (channel = portal), owned like the customer and routed."""
    from .requests import save_request

    customer = account.contact.customer
    req = ServiceRequest(
        customer=customer,
        contact=account.contact,
        channel=ServiceRequest.Channel.PORTAL,
        subject=(subject or "").strip(),
        description=(description or "").strip(),
        category=category or "",
        serial_number=serial_number or "",
        owner_id=customer.owner_id,
        department_id=customer.department_id,
    )
    return save_request(req, user=customer.owner, now=now)


@transaction.atomic
def add_comment(
    *,
    request: ServiceRequest,
    text: str,
    account: PortalAccount | None = None,
    author=None,
    now=None,
) -> RequestComment:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write a comment.")}, code=PortalError.EMPTY)
    if len(text) > 4000:
        raise ValidationError({"text": _("Keep the comment under 4,000 characters.")})
    if request.status == ServiceRequest.Status.CLOSED:
        raise ValidationError(
            _("This request is closed. Open a new request instead."), code=PortalError.CLOSED
        )
    return RequestComment.objects.create(
        request=request, account=account, author=author, text=text, created_at=now or timezone.now()
    )
