"""Customer care (客户关怀): birthday, anniversary and other care tasks for customer owners."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import OwnedModel

from .customer import Contact, Customer


class CareTask(OwnedModel):
    """A care gesture due on a date (a call, a card, a gift) for the customer's owner.

    Data permissions follow the customer, like contacts; ``owner`` is who should act and is kept
    equal to the customer's owner (a handover moves open tasks with the customer).
    ``occasion_key`` makes the daily generation idempotent: one task per person, occasion and year.
    """

    class Kind(models.TextChoices):
        BIRTHDAY = "birthday", _("Birthday")
        ANNIVERSARY = "anniversary", _("Anniversary")
        HOLIDAY = "holiday", _("Holiday")
        CUSTOM = "custom", _("Custom")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")

    owner_path = "customer__owner"
    department_path = "customer__department"
    data_scope_label = "customers.customer"

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="care_tasks"
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="care_tasks",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    note = models.TextField(_("note"), blank=True)
    occasion_key = models.CharField(max_length=80, blank=True, default="")

    class Meta:
        verbose_name = _("care task")
        verbose_name_plural = _("care tasks")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["customer", "due_on"]),
            models.Index(fields=["owner", "status", "due_on"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["occasion_key"],
                condition=~models.Q(occasion_key=""),
                name="care_task_once_per_occasion",
            )
        ]

    def __str__(self) -> str:
        return self.title
