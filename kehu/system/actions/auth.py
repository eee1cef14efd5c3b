"""Login bookkeeping: failed attempts, the lockout and the last-login time.

These columns change on every login attempt, often in parallel (two tabs, a script, an attacker), so
they are written with ``QuerySet.update()`` on just those columns: no optimistic lock (a login never
conflicts with an edit of the employee), no version bump and no audit diff (``User.save`` does the
same for Django's own ``save(update_fields=["last_login"])``). Every entry point that
takes a password goes through the authentication backend (``kehu.system.backends``), which calls these.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import User

__all__ = ["is_locked", "record_failed_login", "record_successful_login"]


def is_locked(user: User) -> bool:
    """Whether the account is locked out now (after too many failed passwords)."""
    return user.locked_until is not None and user.locked_until > timezone.now()


@transaction.atomic
def record_failed_login(*, user: User) -> bool:
    """Count a wrong password; at ``KEHU_LOGIN_MAX_FAILURES`` lock the account for
    ``KEHU_LOGIN_LOCKOUT_MINUTES``. Atomic increments, so parallel guesses are all counted.
    Returns whether the account is now locked."""
    rows = User.objects.filter(pk=user.pk)
    rows.update(failed_logins=F("failed_logins") + 1)
    locked = rows.filter(failed_logins__gte=settings.KEHU_LOGIN_MAX_FAILURES).update(
        failed_logins=0,
        locked_until=timezone.now() + timedelta(minutes=settings.KEHU_LOGIN_LOCKOUT_MINUTES),
    )
    return bool(locked)


def record_successful_login(*, user: User) -> None:
    """A right password clears the failure count (only written when there is something to clear)."""
    if user.failed_logins or user.locked_until:
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        user.failed_logins, user.locked_until = 0, None
