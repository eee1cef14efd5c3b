"""Webhook set-up actions: save an endpoint (URL checked against SSRF), send a test delivery."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.stores import registry

from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from .security import UnsafeUrlError, resolve_safe


def object_type_choices() -> list[tuple[str, str]]:
    """Every registered object type (webhooks themselves excepted), by its label."""
    return sorted(
        (
            (label, f"{ot.verbose_name_plural()} ({label})")
            for label, ot in registry.items()
            if ot.model is not WebhookEndpoint
        ),
        key=lambda c: c[0],
    )


def endpoint_errors(endpoint: WebhookEndpoint) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    try:
        resolve_safe(endpoint.url or "")
    except UnsafeUrlError as exc:
        errors["url"] = [str(exc)]
    events = endpoint.events if isinstance(endpoint.events, list) else None
    if not events or any(e not in WebhookEvent.values for e in events):
        errors["events"] = [_("Choose at least one event.")]
    types = endpoint.object_types if isinstance(endpoint.object_types, list) else None
    known = dict(object_type_choices())
    if types is None or any(t not in known for t in types):
        errors["object_types"] = [_("Unknown object type.")]
    return errors


@transaction.atomic
def save_endpoint(*, endpoint: WebhookEndpoint, user) -> WebhookEndpoint:
    """Create or change an endpoint. A new one belongs to whoever made it; switching a disabled
    endpoint on again starts its failure count afresh."""
    if errors := endpoint_errors(endpoint):
        raise ValidationError(errors)
    if endpoint.pk is None:
        endpoint.owner = user
    elif endpoint.is_active and endpoint.disabled_at is not None:
        endpoint.disabled_at = None
        endpoint.failure_count = 0
    endpoint.save()
    return endpoint


def may_see_secret(endpoint: WebhookEndpoint, user) -> bool:
    return user.is_superuser or endpoint.owner_id == user.pk


@transaction.atomic
def send_test(*, endpoint: WebhookEndpoint, user) -> WebhookDelivery:
    """Queue a ``ping`` delivery now (sent after the commit), whatever the event selection."""
    from .dispatch import enqueue

    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="ping",
        payload={
            "event": "ping",
            "object_type": "system.webhookendpoint",
            "id": endpoint.pk,
            "object": endpoint.name,
            "timestamp": timezone.now().isoformat(),
            "changes": {},
        },
    )
    enqueue([delivery])
    return delivery
