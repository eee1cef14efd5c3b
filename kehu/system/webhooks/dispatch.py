"""From the audit writer's ``records_changed`` signal to queued deliveries.

One query for the active endpoints per write (a bulk import's batch is one write), one
``bulk_create`` of the deliveries, and the tasks are sent only when the transaction commits:
a rolled-back change posts nothing, and the worker never looks for a row not yet committed."""

from __future__ import annotations

import time

from django.db import transaction
from django.utils import timezone

from kehu.core.models import AuditLog
from kehu.core.stores import registry

from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent

_ACTIONS = {
    AuditLog.Action.CREATE: WebhookEvent.CREATED,
    AuditLog.Action.UPDATE: WebhookEvent.UPDATED,
    AuditLog.Action.DELETE: WebhookEvent.DELETED,
}


#: For how long "no active endpoint" is believed without asking the database again (seconds):
#: most installations have none, and then a save costs no extra query. A change of an endpoint
#: in this process forgets it at once; one made in another process is seen within this time.
NONE_TTL = 5.0
_none_until = 0.0


def forget_endpoints(*args, **kwargs) -> None:
    global _none_until
    _none_until = 0.0


def active_endpoints() -> list[WebhookEndpoint]:
    """The active endpoints, read in the writer's transaction (never a cached row: a rolled-back
    endpoint must not get deliveries); only their absence is cached."""
    global _none_until
    if time.monotonic() < _none_until:
        return []
    endpoints = list(WebhookEndpoint.objects.active())
    if not endpoints:
        _none_until = time.monotonic() + NONE_TTL
    return endpoints


def stage_changed(model, changes: dict) -> bool:
    """A change of the model's stage field (``webhook_stage_field``, default ``stage``)."""
    name = getattr(model, "webhook_stage_field", "stage")
    return name in changes or f"{name}_id" in changes


def events_of(model, action: str, changes: dict) -> list[str]:
    event = _ACTIONS.get(action)
    if event is None:
        return []
    events = [event]
    if event == WebhookEvent.UPDATED and stage_changed(model, changes):
        events.append(WebhookEvent.STAGE_CHANGED)
    return events


def payload(*, label: str, event: str, obj, changes: dict, when) -> dict:
    return {
        "event": event,
        "object_type": label,
        "id": obj.pk,
        "object": str(obj)[:200],
        "timestamp": when.isoformat(),
        "changes": changes,
    }


def on_records_changed(sender, *, entries, action, **kwargs) -> None:
    if action not in _ACTIONS:
        return
    relevant = [
        (obj, changes)
        for obj, changes in entries
        if obj._meta.label_lower in registry and not isinstance(obj, WebhookEndpoint)
    ]
    if not relevant:
        return
    endpoints = active_endpoints()
    if not endpoints:
        return
    when = timezone.now()
    deliveries = []
    for obj, changes in relevant:
        label = obj._meta.label_lower
        for event in events_of(type(obj), action, changes):
            for endpoint in endpoints:
                if endpoint.wants(label, event):
                    deliveries.append(
                        WebhookDelivery(
                            endpoint=endpoint,
                            event=event,
                            payload=payload(
                                label=label, event=event, obj=obj, changes=changes, when=when
                            ),
                        )
                    )
    if deliveries:
        enqueue(WebhookDelivery.objects.bulk_create(deliveries))


def enqueue(deliveries) -> None:
    """Send each delivery to the workers once the surrounding transaction commits."""
    from .delivery import deliver

    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: [deliver.delay(pk) for pk in ids])
