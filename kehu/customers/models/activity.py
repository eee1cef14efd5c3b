"""Activities (联系记录): calls, visits, meetings, e-mails, notes and tasks with a customer, what
came out of them and what was promised; and the secret tokens of personal calendar feeds."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.models import OwnedModel

from .customer import Contact, Customer

__all__ = ["ACTIVITY_FIELDS", "Activity", "CalendarFeed"]


class Activity(OwnedModel):
    """One interaction with a customer. Data permissions follow the customer (its owner and
    department, like contacts); ``owner`` is the employee responsible for the activity."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        VISIT = "visit", _("Visit")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", _("E-mail")
        NOTE = "note", _("Note")
        TASK = "task", _("Task")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    ICONS = {
        "call": "bi-telephone",
        "visit": "bi-geo-alt",
        "meeting": "bi-people",
        "email": "bi-envelope",
        "note": "bi-sticky",
        "task": "bi-check2-square",
    }

    owner_path = "customer__owner"
    department_path = "customer__department"
    data_scope_label = "customers.customer"

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CALL)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="activities"
    )
    contacts = models.ManyToManyField(
        Contact, verbose_name=_("contacts"), blank=True, related_name="activities"
    )
    start_at = models.DateTimeField(
        _("time"),
        default=timezone.now,
        help_text=_("When a call, visit or meeting starts; when a task is due."),
    )
    end_at = models.DateTimeField(_("end"), null=True, blank=True)
    all_day = models.BooleanField(_("all day"), default=False)
    location = models.CharField(_("location"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    outcome = models.TextField(_("outcome"), blank=True)
    commitment = models.CharField(
        _("commitment"),
        max_length=500,
        blank=True,
        help_text=_("What was promised, e.g. “free delivery by Friday”."),
    )
    commitment_due = models.DateField(_("commitment due"), null=True, blank=True)
    commitment_kept = models.BooleanField(_("commitment kept"), default=False)
    #: The due date whose overdue notice was sent (a new due date is reminded again).
    commitment_reminded_for = models.DateField(null=True, blank=True, editable=False)
    reminder_minutes = models.PositiveIntegerField(
        _("reminder (minutes before)"), null=True, blank=True
    )
    remind_at = models.DateTimeField(_("reminder time"), null=True, blank=True, editable=False)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, editable=False)
    # A later module's record this activity belongs to (a deal, a ticket), optional.
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("linked record type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    object_id = models.PositiveBigIntegerField(
        _("linked record"), null=True, blank=True, editable=False
    )
    linked = GenericForeignKey("content_type", "object_id")

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-start_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-start_at", "-id"]),
            models.Index(fields=["owner", "start_at"]),
            # The salesperson's dashboard: planned today / overdue, and promises due.
            models.Index(
                fields=["owner", "status", "start_at"], name="activity_owner_status_start"
            ),
            # Open promises only (``open_commitments_q``): a promise card reads the first few
            # in due order from the index instead of sorting a top seller's thousands.
            models.Index(
                fields=["owner", "commitment_due", "id"],
                name="activity_owner_promise_due",
                condition=~models.Q(commitment="")
                & models.Q(commitment_kept=False)
                & ~models.Q(status="cancelled"),
            ),
            models.Index(fields=["start_at", "id"]),
            models.Index(fields=["subject", "id"]),
            models.Index(fields=["commitment_due", "id"]),
            models.Index(fields=["status", "remind_at"]),
            models.Index(fields=["commitment_kept", "commitment_due"]),
            models.Index(fields=["content_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("customers:activity_detail", args=[self.pk])

    @property
    def icon(self) -> str:
        return self.ICONS.get(self.kind, "bi-record-circle")

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.PLANNED

    @property
    def has_open_commitment(self) -> bool:
        return bool(self.commitment) and not self.commitment_kept

    @property
    def commitment_overdue(self) -> bool:
        return self.has_open_commitment and bool(
            self.commitment_due and self.commitment_due < timezone.localdate()
        )

    def compute_remind_at(self) -> datetime.datetime | None:
        if self.reminder_minutes is None or self.start_at is None:
            return None
        return self.start_at - datetime.timedelta(minutes=self.reminder_minutes)


class CalendarFeed(models.Model):
    """A user's secret calendar subscription link; only a hash of the token is stored, so the
    link is shown once when created and a new one revokes the old."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        default_permissions = ()  # managed by its owner only, not in the role editor

    def __str__(self) -> str:
        return str(self.user)


#: The fields a user edits, in display order (forms, API, exports, the detail page).
ACTIVITY_FIELDS = [
    "kind",
    "subject",
    "customer",
    "contacts",
    "start_at",
    "end_at",
    "all_day",
    "location",
    "status",
    "description",
    "outcome",
    "commitment",
    "commitment_due",
    "commitment_kept",
    "reminder_minutes",
]
