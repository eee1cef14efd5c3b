"""Approval requests (审批) on any record, and their steps (one row per approver and step).

Imported at the end of ``kehu.system.models``, so the models belong to the ``system`` app."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.models import BaseModel, RestrictedQuerySet

#: Who may see and decide any request (administrators hold it; it is not a business permission,
#: so the default business roles do not).
DECIDE_ANY = "system.change_approvalrequest"
SEE_ANY = "system.view_approvalrequest"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ApprovalRequestQuerySet(RestrictedQuerySet):
    def restrict(self, user, access, *, shares: bool = True):
        """Requests are seen by who asked and who must (or did) decide, and by administrators
        (the model's view/change permission); they are not owned records with a data scope."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_perm(SEE_ANY):
            return self
        return self.filter(
            Q(requested_by=user)
            | Q(pk__in=ApprovalStep.objects.filter(approver=user).values("request_id"))
        )

    def pending(self):
        return self.filter(status=ApprovalStatus.PENDING)

    def waiting_for(self, user):
        """Pending requests whose current step ``user`` must decide."""
        return self.filter(
            status=ApprovalStatus.PENDING,
            pk__in=ApprovalStep.objects.filter(
                approver=user, decision=ApprovalStep.Decision.PENDING
            ).values("request_id"),
        )

    def for_record(self, record):
        ct = ContentType.objects.get_for_model(type(record))
        return self.filter(content_type=ct, object_id=record.pk)


class ApprovalRequest(BaseModel):
    """A request to approve something about one record (a quote below the floor price …);
    while it is pending the record is locked (``kehu.system.approvals.ensure_not_locked``)."""

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(_("record id"))
    record_label = models.CharField(_("record"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=80)
    summary = models.CharField(_("summary"), max_length=300)
    data = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="approval_requests",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    steps_total = models.PositiveSmallIntegerField(_("steps"), default=1)
    current_step = models.PositiveSmallIntegerField(_("current step"), default=1)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True)

    objects = ApprovalRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "status"]),
            models.Index(fields=["requested_by", "status"]),
            models.Index(fields=["status", "created_at", "id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(status="pending"),
                name="one_pending_approval_per_record",
            )
        ]

    def __str__(self) -> str:
        return self.summary

    @property
    def is_pending(self) -> bool:
        return self.status == ApprovalStatus.PENDING

    @property
    def kind_label(self) -> str:
        from .kinds import kind_label

        return kind_label(self.kind)


class ApprovalStep(BaseModel):
    """One approver's part in one step of a request: any approver of the current step decides
    it for the step (the others' rows become *skipped*)."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Waiting")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SKIPPED = "skipped", _("Not needed")

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="steps")
    step = models.PositiveSmallIntegerField(_("step"), default=1)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        on_delete=models.PROTECT,
        related_name="approval_steps",
    )
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        ordering = ["request", "step", "id"]
        indexes = [models.Index(fields=["approver", "decision"])]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "step", "approver"], name="approver_once_per_step"
            )
        ]

    def __str__(self) -> str:
        return f"{self.request} · {self.step} · {self.approver}"
