"""Outbound messages (外发消息) and their deliveries, the suppression list and consent.

Imported at the end of ``kehu.system.models``, so the models belong to the ``system`` app.

A :class:`Message` is one send of a piece of *material* (``material``: a key the caller chooses,
e.g. ``marketing.newsletter.2026-12``) over one channel. A :class:`Delivery` is that material for
one address. The unique constraint on (material, channel, address) is the idempotency guarantee:
the same material is never queued — so never sent — twice to the same address, whichever message
(department, campaign, retry) tries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    #: Claimed by a worker: being handed to the provider. Never picked up again automatically
    #: (a crash mid-send must not send twice); it shows in the list as "sending".
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    BOUNCED = "bounced", _("Bounced")
    OPENED = "opened", _("Opened")
    CLICKED = "clicked", _("Clicked")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    #: On the suppression list (or without consent) when its turn came: not sent.
    SUPPRESSED = "suppressed", _("Suppressed")
    FAILED = "failed", _("Failed")


#: Statuses a delivery can still leave by being sent.
PENDING_STATUSES = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


class Message(models.Model):
    """One piece of material sent over one channel by one sender. Its subject and bodies are
    templates with ``{{ name }}`` placeholders only (see :mod:`.rendering`)."""

    material = models.CharField(_("material"), max_length=200, db_index=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    sender = models.CharField(
        _("sender"), max_length=200, blank=True, help_text=_("Who sends it (a department).")
    )
    source = models.CharField(
        _("source"), max_length=200, blank=True, help_text=_("What asked for it (a campaign).")
    )
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    #: WeChat template messages: the template id at the platform.
    provider_template = models.CharField(_("provider template"), max_length=100, blank=True)
    needs_consent = models.BooleanField(
        _("needs consent"),
        default=False,
        help_text=_("Send only to addresses that gave their consent (marketing SMS, WeChat)."),
    )
    #: The links of the HTML body, in order: a click token names an index here, so the click
    #: redirect can only go to a URL this message contains.
    links = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject or self.material


class Delivery(models.Model):
    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="deliveries"
    )
    # Copied from the message so the unique constraint can hold across messages.
    material = models.CharField(_("material"), max_length=200)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    #: The personalisation values of this recipient (whitelisted names, plain strings).
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.QUEUED,
        db_index=True,
    )
    #: The claim of the worker sending it (set in the same UPDATE that moves queued → sending).
    claim = models.CharField(max_length=32, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    provider_id = models.CharField(_("provider message ID"), max_length=200, blank=True)
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("clicked at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("bounced at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["material", "channel", "address"], name="messaging_once_per_address"
            )
        ]
        indexes = [models.Index(fields=["message", "status"], name="messaging_msg_status")]

    def __str__(self) -> str:
        return f"{self.address} ({self.get_status_display()})"


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINT = "complaint", _("Complaint")
    MANUAL = "manual", _("Added by hand")


class Suppression(models.Model):
    """An address nothing more is sent to on its channel (checked at send time, everywhere)."""

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    reason = models.CharField(_("reason"), max_length=20, choices=SuppressionReason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppression list")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="messaging_suppress_once")
        ]

    def __str__(self) -> str:
        return self.address


class Consent(models.Model):
    """Whether an address agreed to receive marketing on a channel (the latest answer counts)."""

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="messaging_consent_once")
        ]

    def __str__(self) -> str:
        return self.address
