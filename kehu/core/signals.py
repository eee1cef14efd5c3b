"""Signal handlers of the core app (kept tiny: business rules live in actions)."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    from .models import AuditLog

    AuditLog.record(user, AuditLog.Action.LOGIN, {}, user=user)
