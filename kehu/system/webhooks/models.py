"""Webhook endpoints and their delivery log.

Imported at the end of ``kehu.system.models``, so the models belong to the ``system`` app."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import BaseModel, RestrictedQuerySet

#: The permission that manages webhooks: only the administrator role holds the system set-up
#: permissions, so webhooks are administrators' business.
MANAGE = "system.change_webhookendpoint"
VIEW = "system.view_webhookendpoint"


class WebhookEvent(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    DELETED = "deleted", _("Deleted")
    STAGE_CHANGED = "stage_changed", _("Stage changed")


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpointQuerySet(RestrictedQuerySet):
    def restrict(self, user, access, *, shares: bool = True):
        """Endpoints are set-up, not owned business records: whoever holds the model permission
        (administrators) sees them all; nobody else sees any."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_perm(VIEW):
            return self
        return self.none()

    def active(self):
        return self.filter(is_active=True, disabled_at__isnull=True)


class WebhookEndpoint(BaseModel):
    """Where Kehu posts events: a URL, a signing secret, which object types and events."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=100, default=new_secret)
    object_types = models.JSONField(
        _("object types"),
        default=list,
        blank=True,
        help_text=_("Leave empty for every object type."),
    )
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    failure_count = models.PositiveIntegerField(_("consecutive failures"), default=0)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)

    objects = WebhookEndpointQuerySet.as_manager()

    # The secret never goes into the audit trail; delivery bookkeeping is not an edit.
    audit_exclude = ("updated_at", "updated_by", "version", "secret", "failure_count")

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name", "id"])]

    def __str__(self) -> str:
        return self.name

    def wants(self, label: str, event: str) -> bool:
        return event in self.events and (not self.object_types or label in self.object_types)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RETRYING = "retrying", _("Retrying")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event for one endpoint, with the outcome of its last attempt. Written by the
    delivery machinery only (not an audited business record)."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("webhook"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.CharField(_("event"), max_length=64)
    payload = models.JSONField(_("payload"), encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    response_code = models.PositiveIntegerField(_("response code"), null=True, blank=True)
    response_excerpt = models.TextField(_("response"), blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    next_retry_at = models.DateTimeField(_("next retry"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"]),
            models.Index(fields=["status", "next_retry_at"], name="webhook_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id}"
