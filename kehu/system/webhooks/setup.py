"""What webhooks register from ``SystemConfig.ready``: the listener on the audit writer's
signal, the delivery task (imported so every worker knows it) and the set-up page link."""

from __future__ import annotations


def install() -> None:
    from django.db.models.signals import post_delete, post_save

    from kehu.core.events import records_changed
    from kehu.core.registry import register_beat_task

    from . import delivery, object_type  # noqa: F401  (the task; the registry declaration)
    from .dispatch import forget_endpoints, on_records_changed
    from .models import WebhookEndpoint

    register_beat_task("webhooks-sweep", "kehu.system.sweep_webhooks", 300.0)
    records_changed.connect(on_records_changed, dispatch_uid="kehu.system.webhooks")
    post_save.connect(forget_endpoints, sender=WebhookEndpoint, dispatch_uid="webhooks-forget")
    post_delete.connect(forget_endpoints, sender=WebhookEndpoint, dispatch_uid="webhooks-forget-d")
