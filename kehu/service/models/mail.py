"""E-mail of service requests (邮件工单): every message the mail intake received — whether it
opened a request, was added to one, or was refused and why — and every reply sent from a
request page.

Both keep their ``Message-ID``, so a customer's answer threads into its request by its
``In-Reply-To``/``References`` headers (:func:`kehu.service.actions.mail.find_thread`), never by
guessing from the subject. The text of a message is plain text (HTML is converted when the
message has no plain part) and is only ever shown escaped; the raw message and the files it
carried are :class:`kehu.core.models.Attachment` rows, checked and capped like any upload."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["InboundMessage", "OutboundMessage"]

#: Longest Message-ID kept as it is; a longer one is stored as a digest (the same digest is
#: computed for a reference to it, so it still threads).
MESSAGE_ID_LENGTH = 255


class InboundMessage(models.Model):
    """One message handed to the intake (``kehu mail-intake`` or ``kehu mail-gateway``)."""

    class Status(models.TextChoices):
        OPENED = "opened", _("Opened a request")
        THREADED = "threaded", _("Added to a request")
        REJECTED = "rejected", _("Rejected")

    class Reason(models.TextChoices):
        UNREADABLE = "unreadable", _("The message could not be read.")
        NO_SENDER = "no_sender", _("The message has no valid sender address.")
        OWN_ADDRESS = "own_address", _("Sent from the service mailbox itself (a mail loop).")
        AUTOMATIC = (
            "automatic",
            _("An automatic message (auto-reply, bounce, mailing list) does not open a request."),
        )
        UNKNOWN_SENDER = (
            "unknown_sender",
            _("The sender is no contact or customer, and unknown senders are rejected."),
        )
        NO_OWNER = (
            "no_owner",
            _("No one may own the request: set KEHU_SERVICE_MAIL_OWNER to an employee."),
        )

    message_id = models.CharField(_("Message-ID"), max_length=MESSAGE_ID_LENGTH, unique=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=MESSAGE_ID_LENGTH, blank=True)
    references = models.TextField(_("References"), blank=True)
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    from_name = models.CharField(_("sender name"), max_length=200, blank=True)
    to = models.CharField(_("to"), max_length=1000, blank=True)
    delivered_to = models.CharField(_("envelope recipient"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    text = models.TextField(_("text"), blank=True)
    from_html = models.BooleanField(_("converted from HTML"), default=False)
    automatic = models.BooleanField(_("automatic message"), default=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    raw = models.ForeignKey(
        "core.Attachment",
        verbose_name=_("raw message"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    #: The files the message carried: ``{"name", "size", "token", "note"}`` each (``token`` of
    #: the attachment kept on the request, or ``""`` with the ``note`` saying why it was not).
    files = models.JSONField(_("attachments"), default=list, blank=True)
    request = models.ForeignKey(
        "service.ServiceRequest",
        verbose_name=_("service request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        indexes = [
            models.Index(fields=["request", "received_at"]),
            models.Index(fields=["status", "received_at"]),
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id


class OutboundMessage(models.Model):
    """A reply sent from a request page, with the headers that thread the customer's answer."""

    request = models.ForeignKey(
        "service.ServiceRequest",
        verbose_name=_("service request"),
        on_delete=models.CASCADE,
        related_name="outbound_messages",
    )
    message_id = models.CharField(_("Message-ID"), max_length=MESSAGE_ID_LENGTH, unique=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=MESSAGE_ID_LENGTH, blank=True)
    references = models.TextField(_("References"), blank=True)
    from_address = models.CharField(_("from"), max_length=254)
    to = models.CharField(_("to"), max_length=1000)
    subject = models.CharField(_("subject"), max_length=300)
    text = models.TextField(_("text"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("e-mail reply")
        verbose_name_plural = _("e-mail replies")
        indexes = [models.Index(fields=["request", "sent_at"])]

    def __str__(self) -> str:
        return self.subject
