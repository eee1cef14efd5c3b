"""Identity resolution: likely duplicate pairs for review, and the blocking keys behind them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.models import BaseModel, RestrictedQuerySet
from kehu.core.permissions import Access

from .customer import Contact, Customer


class CandidateQuerySet(RestrictedQuerySet):
    """A pair is visible (editable) only to a user who may see (edit) BOTH records."""

    def restrict(self, user, access: Access, *, shares: bool = True) -> CandidateQuerySet:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        customers = Customer.objects.all().restrict(user, access, shares=shares).values("pk")
        contacts = Contact.objects.all().restrict(user, access, shares=shares).values("pk")
        return self.filter(
            Q(
                kind=DuplicateCandidate.Kind.CUSTOMER,
                customer_a__in=customers,
                customer_b__in=customers,
            )
            | Q(
                kind=DuplicateCandidate.Kind.CONTACT,
                contact_a__in=contacts,
                contact_b__in=contacts,
            )
        )


class DuplicateCandidate(BaseModel):
    """Two customers (or two contacts) that look like one: score, per-field explanation, and
    the reviewer's decision. ``a`` always has the lower id, so a pair is stored once."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customers")
        CONTACT = "contact", _("Contacts")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        MERGED = "merged", _("Merged")
        DISMISSED = "dismissed", _("Dismissed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    customer_a = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    customer_b = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    contact_a = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    contact_b = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    score = models.FloatField(_("score"))
    #: {"total": 0.91, "fields": {"name": {"score": 0.93, "how": "pinyin"}, ...}}
    explanation = models.JSONField(_("explanation"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = CandidateQuerySet.as_manager()

    class Meta:
        verbose_name = _("duplicate candidate")
        verbose_name_plural = _("duplicate candidates")
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer_a", "customer_b"],
                condition=Q(kind="customer"),
                name="dupe_unique_customer_pair",
            ),
            models.UniqueConstraint(
                fields=["contact_a", "contact_b"],
                condition=Q(kind="contact"),
                name="dupe_unique_contact_pair",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="customer",
                        customer_a__isnull=False,
                        customer_b__isnull=False,
                        customer_a__lt=models.F("customer_b"),
                    )
                    | Q(
                        kind="contact",
                        contact_a__isnull=False,
                        contact_b__isnull=False,
                        contact_a__lt=models.F("contact_b"),
                    )
                ),
                name="dupe_ordered_pair",
            ),
        ]
        indexes = [models.Index(fields=["kind", "status", "-score"])]

    def __str__(self) -> str:
        label = getattr(self, "_label", None)  # set by the bulk writers: no query per row
        if label:
            return label
        a, b = self.records
        return f"{a} ≈ {b}"

    @property
    def records(self) -> tuple:
        if self.kind == self.Kind.CUSTOMER:
            return self.customer_a, self.customer_b
        return self.contact_a, self.contact_b

    @property
    def record_ids(self) -> tuple[int, int]:
        if self.kind == self.Kind.CUSTOMER:
            return self.customer_a_id, self.customer_b_id
        return self.contact_a_id, self.contact_b_id


class MatchKey(models.Model):
    """Blocking keys of every customer and contact (derived data, rebuilt from the records):
    the creation-time check and incremental scans look candidates up here by index."""

    kind = models.CharField(max_length=10, choices=DuplicateCandidate.Kind.choices)
    object_id = models.PositiveBigIntegerField()
    key = models.CharField(max_length=120)

    class Meta:
        default_permissions = ()  # derived data: no one edits it, no role grants it
        indexes = [
            models.Index(fields=["kind", "key"]),
            models.Index(fields=["kind", "object_id"]),
        ]

    def __str__(self) -> str:
        return self.key


class MatchScan(models.Model):
    """When each kind was last scanned (the nightly job looks only at records changed since),
    and the model fitted on the book by the last full scan."""

    kind = models.CharField(max_length=10, choices=DuplicateCandidate.Kind.choices, unique=True)
    scanned_at = models.DateTimeField()
    #: the Fellegi–Sunter model fitted on the book by the last full scan
    #: (``kehu.customers.linkage.Model.as_dict``: m, u, λ, name frequencies); empty: the priors
    model = models.JSONField(default=dict, blank=True)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.kind} {self.scanned_at}"


# A candidate describes a pair, it does not depend on either record: a merge never moves it
# (the records_merged signal settles the pairs among the merged records instead).
from kehu.core.records import NOT_MOVED  # noqa: E402

NOT_MOVED.add("customers.duplicatecandidate")
