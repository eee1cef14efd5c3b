"""Record operations on customers and contacts: merges (undoable) and the aliases they leave."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MergeRecord(models.Model):
    """One merge: who merged which records into which, the field values of every record before
    the merge (``snapshot``: {pk: {attname: value}}) and every related row moved (``moved``:
    [{"model", "pk", "field", "from"}]), so that the merge can be undone."""

    snapshot = models.JSONField(
        _("values before the merge"), default=dict, encoder=DjangoJSONEncoder
    )
    moved = models.JSONField(_("moved records"), default=list, encoder=DjangoJSONEncoder)
    values = models.JSONField(_("chosen values"), default=dict, encoder=DjangoJSONEncoder)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("merged at"), default=timezone.now)
    #: Highest audit record id written by the merge: later entries are edits made since.
    audit_mark = models.BigIntegerField(default=0, editable=False)
    batch = models.CharField(max_length=32, blank=True, editable=False)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
        # Access follows the merged records (data scope + the merge special permission).
        default_permissions = ()

    @property
    def loser_ids(self) -> list[int]:
        return sorted(int(pk) for pk in self.snapshot.get("losers", {}))

    @property
    def moved_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.moved:
            counts[row["model"]] = counts.get(row["model"], 0) + 1
        return counts


class CustomerMerge(MergeRecord):
    survivor = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("surviving customer"),
        on_delete=models.CASCADE,
        related_name="merges",
    )
    losers = models.ManyToManyField(
        "customers.Customer", verbose_name=_("merged customers"), related_name="+"
    )

    class Meta(MergeRecord.Meta):
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        indexes = [models.Index(fields=["survivor", "-created_at"])]

    def __str__(self) -> str:
        return _("Merge #%(id)s into %(survivor)s") % {"id": self.pk, "survivor": self.survivor}


class ContactMerge(MergeRecord):
    survivor = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("surviving contact"),
        on_delete=models.CASCADE,
        related_name="merges",
    )
    losers = models.ManyToManyField(
        "customers.Contact", verbose_name=_("merged contacts"), related_name="+"
    )

    class Meta(MergeRecord.Meta):
        verbose_name = _("contact merge")
        verbose_name_plural = _("contact merges")
        indexes = [models.Index(fields=["survivor", "-created_at"])]

    def __str__(self) -> str:
        return _("Merge #%(id)s into %(survivor)s") % {"id": self.pk, "survivor": self.survivor}


class AliasBase(models.Model):
    """Identifiers of a record merged into another, kept so searches by them still find it."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    number = models.CharField(_("number"), max_length=30, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        abstract = True
        default_permissions = ()  # access follows the record they belong to

    def __str__(self) -> str:
        return self.name or self.number or self.phone or self.email


class CustomerAlias(AliasBase):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="aliases",
    )
    merge = models.ForeignKey(
        CustomerMerge, on_delete=models.CASCADE, related_name="aliases", null=True, blank=True
    )

    class Meta(AliasBase.Meta):
        verbose_name = _("customer alias")
        verbose_name_plural = _("customer aliases")
        indexes = [
            models.Index(fields=["name"]),
            models.Index(fields=["number"]),
            models.Index(fields=["phone"]),
            models.Index(fields=["email"]),
        ]


class ContactAlias(AliasBase):
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="aliases",
    )
    merge = models.ForeignKey(
        ContactMerge, on_delete=models.CASCADE, related_name="aliases", null=True, blank=True
    )

    class Meta(AliasBase.Meta):
        verbose_name = _("contact alias")
        verbose_name_plural = _("contact aliases")
        indexes = [
            models.Index(fields=["name"]),
            models.Index(fields=["phone"]),
            models.Index(fields=["email"]),
        ]


__all__ = ["ContactAlias", "ContactMerge", "CustomerAlias", "CustomerMerge"]

# Merge history describes the relation; a merge never moves it and deleting never counts it.
from kehu.core.records import NOT_MOVED  # noqa: E402

NOT_MOVED.update({"customers.customermerge", "customers.contactmerge"})
