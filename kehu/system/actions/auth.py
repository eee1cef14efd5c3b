"""Login bookkeeping: failed attempts, the lockout and the last-login time.

These columns change on every login attempt, often in parallel (two tabs, a script, an attacker), so
they are written with ``QuerySet.update()`` on just those columns: no optimistic lock (a login never
conflicts with an edit of the employee), no version bump and no audit diff (``User.save`` does the
same for Django's own ``save(update_fields=["last_login"])``). Every entry point that
takes a password goes through the authentication backend (``kehu.system.backends``), which calls these.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.audit import unaudited_write
from kehu.core.permissions import SpecialPermission

from ..models import ApiToken, User

__all__ = [
    "authenticate_api_token",
    "create_api_token",
    "is_locked",
    "may_manage_tokens_of",
    "record_failed_login",
    "record_successful_login",
    "revoke_api_token",
]

#: Secrets start with this, so a leaked one is easy to recognise (secret scanners, logs).
TOKEN_PREFIX = "kehu_"
#: ``last_used_at`` is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def is_locked(user: User) -> bool:
    """Whether the account is locked out now (after too many failed passwords)."""
    return user.locked_until is not None and user.locked_until > timezone.now()


@transaction.atomic
def record_failed_login(*, user: User) -> bool:
    """Count a wrong password; at ``KEHU_LOGIN_MAX_FAILURES`` lock the account for
    ``KEHU_LOGIN_LOCKOUT_MINUTES``. Atomic increments, so parallel guesses are all counted.
    Returns whether the account is now locked."""
    rows = User.objects.filter(pk=user.pk)
    with unaudited_write("login bookkeeping"):
        rows.update(failed_logins=F("failed_logins") + 1)
        locked = rows.filter(failed_logins__gte=settings.KEHU_LOGIN_MAX_FAILURES).update(
            failed_logins=0,
            locked_until=timezone.now() + timedelta(minutes=settings.KEHU_LOGIN_LOCKOUT_MINUTES),
        )
    return bool(locked)


def record_successful_login(*, user: User) -> None:
    """A right password clears the failure count (only written when there is something to clear)."""
    if user.failed_logins or user.locked_until:
        with unaudited_write("login bookkeeping"):
            User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        user.failed_logins, user.locked_until = 0, None


# --- API tokens ---------------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    """SHA-256 is enough for a 256-bit random secret (no dictionary to guess from), and a lookup
    by hash is one indexed query."""
    return hashlib.sha256(raw.encode()).hexdigest()


def may_manage_tokens_of(*, actor: User, user: User) -> bool:
    """Everyone their own; with *Manage users* the employees in their edit scope."""
    if actor.pk == user.pk:
        return True
    return (
        actor.has_perm(SpecialPermission.MANAGE_USERS)
        and User.objects.editable_by(actor).filter(pk=user.pk).exists()
    )


@transaction.atomic
def create_api_token(
    *, user: User, name: str, by: User, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Make a token for ``user`` and return it with its secret, which is stored only as a hash:
    show it once. Audited (the token's creation record names who made it for whom)."""
    if not may_manage_tokens_of(actor=by, user=user):
        raise PermissionDenied(_("You may not manage the API tokens of this employee."))
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, e.g. the integration using it.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    if not user.is_active:
        raise ValidationError(_("An inactive employee cannot have API tokens."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name[:100],
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        key_hash=hash_token(raw),
        expires_at=expires_at,
    )
    token.save()
    return token, raw


@transaction.atomic
def revoke_api_token(*, token: ApiToken, by: User) -> ApiToken:
    """Revoke at once (the next request with it is refused); the row stays for the audit trail."""
    if not may_manage_tokens_of(actor=by, user=token.user):
        raise PermissionDenied(_("You may not manage the API tokens of this employee."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def authenticate_api_token(*, raw: str) -> ApiToken | None:
    """The live token for a secret, with its employee; ``None`` when unknown, revoked, expired,
    or when the employee is inactive, has left or is locked out (a token must not outlive the
    person's access, nor get round the lockout)."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    user = token.user
    if not user.is_active or (user.left_on and user.left_on <= now.date()) or is_locked(user):
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        with unaudited_write("token bookkeeping"):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
