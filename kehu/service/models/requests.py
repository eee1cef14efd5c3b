"""Service requests (服务请求): a customer's question, fault or complaint (投诉), with its
entitlement (contract or warranty), SLA clock and the agent it was routed to."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kehu.core.models import OwnedModel

from ._choices import category_choices, level_choices

__all__ = ["ServiceRequest"]


class ServiceRequest(OwnedModel):
    """One request of a customer. The status moves through the actions only (closing or
    resolving needs resolution notes); the SLA due times are computed in working hours and
    pushed back while the request waits on the customer."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        PORTAL = "portal", _("Portal")
        WEB = "web", _("Web form")

    class Type(models.TextChoices):
        REQUEST = "request", _("Service request")
        COMPLAINT = "complaint", _("Complaint")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ASSIGNED = "assigned", _("Assigned")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING = "waiting", _("Waiting on customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Entitlement(models.TextChoices):
        CONTRACT = "contract", _("Service contract")
        WARRANTY = "warranty", _("Warranty")
        NONE = "none", _("Not entitled")

    number = models.CharField(_("request number"), max_length=30, blank=True, editable=False)
    #: Empty only for a request opened by an e-mail from an unknown sender
    #: (:attr:`unknown_sender`): an agent chooses the customer.
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_requests",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_requests",
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE
    )
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.REQUEST)
    category = models.CharField(_("category"), max_length=30, blank=True, choices=category_choices)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    product = models.ForeignKey(
        "system.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    serial_number = models.CharField(_("serial number"), max_length=60, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW, editable=False
    )
    resolution = models.TextField(_("resolution notes"), blank=True, editable=False)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    routing_reason = models.TextField(_("routing reason"), blank=True, editable=False)
    # entitlement, decided when the request is created
    entitlement = models.CharField(
        _("entitlement"),
        max_length=10,
        choices=Entitlement.choices,
        default=Entitlement.NONE,
        editable=False,
    )
    entitlement_note = models.CharField(
        _("entitlement details"), max_length=300, blank=True, editable=False
    )
    contract = models.ForeignKey(
        "service.ServiceContract",
        verbose_name=_("service contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="requests",
    )
    installed_product = models.ForeignKey(
        "service.InstalledProduct",
        verbose_name=_("installed product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="requests",
    )
    service_level = models.CharField(
        _("service level"), max_length=30, blank=True, choices=level_choices, editable=False
    )
    # SLA: targets in working minutes, due times, and when they were met
    response_target = models.PositiveIntegerField(
        _("first response target (working minutes)"), default=0, editable=False
    )
    resolution_target = models.PositiveIntegerField(
        _("resolution target (working minutes)"), default=0, editable=False
    )
    first_response_due = models.DateTimeField(
        _("first response due"), null=True, blank=True, editable=False
    )
    resolution_due = models.DateTimeField(
        _("resolution due"), null=True, blank=True, editable=False
    )
    first_response_at = models.DateTimeField(
        _("first response at"), null=True, blank=True, editable=False
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    paused_at = models.DateTimeField(
        _("waiting on customer since"), null=True, blank=True, editable=False
    )
    paused_minutes = models.PositiveIntegerField(
        _("working minutes waiting on customer"), default=0, editable=False
    )
    response_met = models.BooleanField(_("first response in time"), null=True, editable=False)
    resolution_met = models.BooleanField(_("resolved in time"), null=True, editable=False)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True, editable=False)
    #: Opened by an e-mail whose sender matched no contact or customer: no customer yet.
    unknown_sender = models.BooleanField(_("unknown sender"), default=False, editable=False)

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        permissions = [("reassign_servicerequest", _("Reassign service requests to an agent"))]
        indexes = [
            models.Index(fields=["number", "id"]),
            models.Index(fields=["status", "id"]),
            models.Index(fields=["priority", "id"]),
            models.Index(fields=["created_at", "id"]),
            models.Index(fields=["resolution_due", "id"]),
            models.Index(fields=["agent", "status"]),
            models.Index(fields=["customer", "status"]),
        ]

    def __str__(self) -> str:
        return self.number or str(_("New service request"))

    def get_absolute_url(self) -> str:
        return reverse("service:servicerequest_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES


CLOSED_STATUSES = (ServiceRequest.Status.RESOLVED, ServiceRequest.Status.CLOSED)
OPEN_STATUSES = tuple(s for s in ServiceRequest.Status.values if s not in CLOSED_STATUSES)
