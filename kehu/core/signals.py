"""Signal handlers of the core app (kept tiny: business rules live in actions)."""

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Notification


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    from .models import AuditLog

    AuditLog.record(user, AuditLog.Action.LOGIN, {}, user=user)


@receiver(post_save, sender=Notification)
@receiver(post_delete, sender=Notification)
def forget_unread_count(sender, instance, **kwargs):
    from .actions import forget_unread

    forget_unread(instance.recipient_id)
