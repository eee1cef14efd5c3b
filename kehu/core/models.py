"""Shared model machinery: the base model, the restricted queryset, and the cross-cutting records
(audit trail, attachments, notifications, background jobs) every module uses."""

from __future__ import annotations

import functools
import hashlib
import operator
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Exists, Q
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .audit_rules import created_changes, deleted_changes, diff
from .context import get_current_user
from .customfields import check_custom_values
from .errors import StaleObjectError
from .features import feature
from .permissions import Access


class RestrictedQuerySet(models.QuerySet):
    """The one place data permissions are applied.

    Views, the API, exports, search, reports and dashboards all start from
    ``Model.objects.visible_to(user)`` (or ``editable_by``); nothing filters by owner ad hoc.
    """

    def visible_to(self, user, *, shares: bool = True) -> RestrictedQuerySet:
        return self.restrict(user, Access.VIEW, shares=shares)

    def editable_by(self, user, *, shares: bool = True) -> RestrictedQuerySet:
        """``shares=False``: only through the user's own roles (their data scope), leaving out
        records shared with them — what owner changes and re-sharing require."""
        return self.restrict(user, Access.EDIT, shares=shares)

    def restrict(self, user, access: Access, *, shares: bool = True) -> RestrictedQuerySet:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        from .providers import get_access

        condition = get_access(user).condition(self.model, access, shares=shares)
        if condition is None:
            return self
        if condition is False:
            return self.none()
        return self.filter(condition)


class RestrictedManager(models.Manager.from_queryset(RestrictedQuerySet)):
    pass


class SoftDeleteQuerySet(RestrictedQuerySet):
    def alive(self) -> SoftDeleteQuerySet:
        return self.filter(deleted_at__isnull=True)

    def deleted(self) -> SoftDeleteQuerySet:
        return self.filter(deleted_at__isnull=False)


class SoftDeleteManager(models.Manager.from_queryset(SoftDeleteQuerySet)):
    """The default manager of soft-deletable models: deleted records are not there at all, so
    lists, search, the API, exports and form choices never show them."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class AllRecordsManager(models.Manager.from_queryset(SoftDeleteQuerySet)):
    """Deleted records included (recycle bin, restore, purge, merge history)."""


class FeatureBase(models.Model):
    """The root the base model and every feature mixin share.

    It ends the chains the features extend (``from_db``, ``audit_snapshot``, ``audit_expand``),
    so each feature's override runs wherever its mixin is listed: in any order of
    ``class Customer(Searchable, SoftDeleteModel, CustomFieldsMixin, OwnedModel)`` Python puts
    this class after all of them.
    """

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_values = dict(zip(field_names, values, strict=False))
        return instance

    def audit_snapshot(self) -> dict[str, Any]:
        deferred = self.get_deferred_fields()
        snapshot = {}
        for f in self._meta.concrete_fields:
            if f.attname in deferred:
                continue
            value = getattr(self, f.attname)
            if isinstance(value, FieldFile):
                value = value.name or ""  # the stored path, not the file object
            snapshot[f.attname] = value
        return snapshot

    def audit_expand(self, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
        """Hook: turn a changed composite value into one entry per part (custom fields)."""
        return changes


@feature
class SoftDeleteModel(FeatureBase):
    """Feature: ``delete`` through the views, the API and ``bulk_delete`` only marks the record.

    List it with the base model in any order (``class Customer(SoftDeleteModel, OwnedModel)``):
    the record disappears from ``objects`` (``all_objects`` still has it), can be restored within
    the retention period, and is hard-deleted by the daily purge (``kehu.core.records``). Both
    managers are built for the model on the queryset of all its features (``core.features``).
    """

    deleted_at = models.DateTimeField(
        _("deleted at"), null=True, blank=True, editable=False, db_index=True
    )
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    queryset_class: ClassVar[type[models.QuerySet]] = SoftDeleteQuerySet
    feature_managers: ClassVar[dict[str, type[models.Manager]]] = {
        "objects": SoftDeleteManager,
        "all_objects": AllRecordsManager,
    }

    #: Accessor names of reverse relations soft-deleted together with the record and restored
    #: with it (e.g. a customer's "contacts").
    soft_delete_cascade: ClassVar[tuple[str, ...]] = ()
    #: added to the base model's (``core.audit.excluded`` joins those of every class)
    audit_exclude: ClassVar[tuple[str, ...]] = ("deleted_at", "deleted_by")

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


@feature(base=True)
class BaseModel(FeatureBase):
    """Created/updated by and at, an optimistic-lock version, and an audit record on every save.

    ``version`` makes a save conditional on the row still having the version that was loaded: a
    second user saving a stale copy gets :class:`StaleObjectError` instead of silently winning.
    """

    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    objects = RestrictedManager()
    queryset_class: ClassVar[type[models.QuerySet]] = RestrictedQuerySet
    feature_managers: ClassVar[dict[str, type[models.Manager]]] = {"objects": RestrictedManager}

    #: Fields never written to the audit trail (noise, or secrets).
    audit_exclude: ClassVar[tuple[str, ...]] = ("updated_at", "updated_by", "version")
    #: How records map to people and departments for data permissions; ``None``: not owned.
    owner_path: ClassVar[str | None] = None
    department_path: ClassVar[str | None] = None

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        adding = self._state.adding
        user = get_current_user()
        if adding and self.created_by_id is None and user is not None:
            self.created_by = user
        if user is not None:
            self.updated_by = user
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = set(update_fields) | {"version", "updated_at", "updated_by"}
        with transaction.atomic(using=kwargs.get("using")):
            if adding:
                changes = created_changes(self)
            else:
                changes = self.audit_diff()
                self._expected_version = self.version
                self.version += 1
            try:
                super().save(*args, **kwargs)
            except StaleObjectError:
                self.version -= 1
                raise
            finally:
                self.__dict__.pop("_expected_version", None)
            if adding or changes:
                AuditLog.bulk_record(
                    [(self, changes)],
                    AuditLog.Action.CREATE if adding else AuditLog.Action.UPDATE,
                    user=get_current_user(),
                )
        self._loaded_values = self.audit_snapshot()

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        expected = getattr(self, "_expected_version", None)
        if expected is None:
            return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)
        filtered = base_qs.filter(pk=pk_val, version=expected)
        if filtered._update(values) > 0:
            return True
        if base_qs.filter(pk=pk_val).exists():
            raise StaleObjectError(self)
        return False

    def delete(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            AuditLog.bulk_record(
                [(self, deleted_changes(self))],
                AuditLog.Action.DELETE,
                user=get_current_user(),
            )
            return super().delete(*args, **kwargs)

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._loaded_values = self.audit_snapshot()  # later diffs start from the fresh values

    def audit_diff(self) -> dict[str, list[Any]]:
        """What changed since the record was loaded, by the one rule (``core.audit.diff``)."""
        return diff(getattr(self, "_loaded_values", {}), self.audit_snapshot(), self)


@feature
class CustomFieldsMixin(FeatureBase):
    """Opt a model into custom fields (自定义字段): values in one ``custom`` JSON column, checked
    against the administrator's definitions (``kehu.core.customfields``); the base form,
    filter set, serializer, list, detail, export and global search pick them up by themselves.

    Listed before or after the base class alike, the audit trail records one entry per field
    (``custom.<code>: [old, new]``).
    """

    custom = models.JSONField(
        _("custom fields"),
        default=dict,
        blank=True,
        encoder=DjangoJSONEncoder,
        # raw inserts (bulk loaders, SQL) that omit the column get an empty object
        db_default=models.Value({}, output_field=models.JSONField()),
    )
    #: What ``core.customfields.is_opted_in`` reads (that module sits below this one).
    has_custom_fields: ClassVar[bool] = True

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        loaded = getattr(instance, "_loaded_values", None)
        if loaded is not None and isinstance(loaded.get("custom"), dict):
            loaded["custom"] = dict(loaded["custom"])  # edits of instance.custom stay visible
        return instance

    def audit_snapshot(self) -> dict[str, Any]:
        snapshot = super().audit_snapshot()
        if isinstance(snapshot.get("custom"), dict):
            snapshot["custom"] = dict(snapshot["custom"])
        return snapshot

    def audit_expand(self, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
        changes = super().audit_expand(changes)
        if "custom" not in changes:
            return changes
        old, new = changes.pop("custom")
        old, new = old or {}, new or {}
        for code in sorted(set(old) | set(new)):
            if old.get(code) != new.get(code):
                changes[f"custom.{code}"] = [old.get(code), new.get(code)]
        return changes

    def clean(self) -> None:
        super().clean()
        check_custom_values(self)


class OwnedModel(BaseModel):
    """A record with an owner (负责人) and owning department (负责部门): data permissions apply."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        "system.Department",
        verbose_name=_("owning department"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    owner_path = "owner"
    department_path = "department"

    class Meta:
        abstract = True


class AuditLogQuerySet(models.QuerySet):
    """The audit trail as one user may read it, for the audit page and every record's history.

    An entry is visible when its record is: the user holds the view permission of the record's
    type and the record is in that type's ``visible_to(user)``. Entries about employees (logins,
    exports, their own record) follow the user's scope over people. Nothing else filters the
    trail for a user, so the page, the histories and the timeline cannot disagree.
    """

    def for_object(self, obj: models.Model) -> AuditLogQuerySet:
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=str(obj.pk),
        )

    def visible_to(self, user, *, record: models.Model | None = None) -> AuditLogQuerySet:
        """Entries ``user`` may read; with ``record``, that record's history (none if the record
        is outside the user's scope), checked in the same query."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if record is not None:
            return self._of_record(user, record)
        if user.is_superuser:
            return self
        from django.apps import apps

        found = [(m, _audit_rule(user, m)) for m in apps.get_models()]
        found = [(m, rule) for m, rule in found if rule is not None]
        cts = ContentType.objects.get_for_models(*(m for m, _r in found), for_concrete_models=False)
        parts, open_types = [], []
        for model, (records, extra) in found:
            ct = cts[model].pk
            if records is None and not extra:
                open_types.append(ct)
                continue
            part = Q(content_type_id=ct) & extra
            if records is not None:
                keys = records.annotate(_audit_key=Cast("pk", models.CharField())).values(
                    "_audit_key"
                )
                part &= Q(object_id__in=keys)
            parts.append(part)
        return self.filter(functools.reduce(operator.or_, parts, Q(content_type_id__in=open_types)))

    def _of_record(self, user, record: models.Model) -> AuditLogQuerySet:
        entries = self.for_object(record)
        if user.is_superuser:
            return entries
        rule = _audit_rule(user, type(record))
        if rule is None:
            return self.none()
        records, extra = rule
        entries = entries.filter(extra)
        if records is not None:
            entries = entries.filter(Exists(records.filter(pk=record.pk)))
        return entries


def _audit_rule(user, model) -> tuple[models.QuerySet | None, Q] | None:
    """Which entries of ``model`` the user reads: ``None`` none at all; else (the records whose
    entries are visible, ``None`` meaning all of them; a condition on the entries themselves)."""
    from django.contrib.auth import get_permission_codename, get_user_model

    opts = model._meta
    may_view = user.has_perm(f"{opts.app_label}.{get_permission_codename('view', opts)}")
    if model is get_user_model():
        from .providers import employees_in_scope

        # Logins and exports are about the person who did them: a manager follows the people in
        # their scope without the employee-management permission; the rest of an employee's
        # record needs it.
        extra = Q() if may_view else Q(action__in=[AuditLog.Action.LOGIN, AuditLog.Action.EXPORT])
        return employees_in_scope(user), extra
    if not may_view:
        return None
    manager = getattr(model, "all_objects", None) or model._default_manager
    if not hasattr(manager, "visible_to"):
        return None, Q()
    # A queryset with a visibility of its own (a duplicate pair: both records visible) decides
    # for itself; the others follow their owner, or show everything when nobody owns them.
    if getattr(type(manager.get_queryset()), "restrict", None) not in (
        None,
        RestrictedQuerySet.restrict,
    ):
        return manager.visible_to(user), Q()
    if getattr(model, "owner_path", None) is None:
        return None, Q()
    from .providers import get_access

    if get_access(user).condition(model, Access.VIEW) is None:
        return None, Q()
    return manager.visible_to(user), Q()


class AuditLog(models.Model):
    """Every create, update and delete, bulk ones included: who, when, and the field diffs."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")
        MERGE = "merge", _("Merged")
        RESTORE = "restore", _("Restored")
        ERASE = "erase", _("Personal data erased")
        PERMISSION = "permission", _("Permission changed")
        LOGIN = "login", _("Logged in")
        EXPORT = "export", _("Exported")

    timestamp = models.DateTimeField(_("time"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(_("object ID"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=dict, encoder=DjangoJSONEncoder, blank=True)
    batch = models.CharField(_("batch"), max_length=32, blank=True, db_index=True)
    request_id = models.CharField(_("request"), max_length=32, blank=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit trail")
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-timestamp"]),
            models.Index(fields=["-timestamp"]),
            models.Index(fields=["user", "-timestamp"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"

    @classmethod
    def build(cls, obj: models.Model, action: str, changes: dict, *, user=None, batch: str = ""):
        from .context import get_request_id

        return cls(
            user=user if user is not None else get_current_user(),
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            action=action,
            changes=changes,
            batch=batch,
            request_id=get_request_id() or "",
        )

    @classmethod
    def bulk_record(
        cls, entries, action: str, *, user=None, batch: str = "", batch_size: int = 2000
    ) -> None:
        """One row per ``(record, changes)``, in one ``bulk_create``: what ``BaseModel.save`` and
        ``delete`` write, and ``core.audit.write_entries`` (which adds the fast path of imports)."""
        from .events import send_records_changed

        entries = list(entries)
        cls.objects.bulk_create(
            [cls.build(o, action, c, user=user, batch=batch) for o, c in entries],
            batch_size=batch_size,
        )
        send_records_changed(entries, action)

    @classmethod
    def record(cls, obj: models.Model, action: str, changes: dict, **kwargs) -> AuditLog:
        from .events import send_records_changed

        entry = cls.build(obj, action, changes, **kwargs)
        entry.save()
        send_records_changed([(obj, changes)], action)
        return entry

    @classmethod
    def for_object(cls, obj: models.Model):
        """The whole history of ``obj`` (for business rules; pages use ``visible_to``)."""
        return cls.objects.for_object(obj).select_related("user")


def attachment_path(instance: Attachment, filename: str) -> str:
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """A file attached to any record; served only through a view that checks the parent's access.

    Pages and links address it by ``token``, a random UUID, never by the sequential ``id``: a
    leaked or guessed link to one file says nothing about the next one.
    """

    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    mime_type = models.CharField(_("type"), max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def digest(chunks) -> str:
        h = hashlib.sha256()
        for chunk in chunks:
            h.update(chunk)
        return h.hexdigest()


class Notification(models.Model):
    """An entry in a user's reminders/notifications inbox; other modules post with ``notify()``."""

    class Level(models.TextChoices):
        INFO = "info", _("Information")
        SUCCESS = "success", _("Success")
        WARNING = "warning", _("Warning")
        DANGER = "danger", _("Urgent")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.INFO)
    kind = models.CharField(_("kind"), max_length=50, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    dedupe_key = models.CharField(max_length=120, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_dedupe",
            )
        ]

    def __str__(self) -> str:
        return self.title


class BackgroundJob(models.Model):
    """A long-running piece of work (export, import, analytics run) with progress for the UI."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    params = models.JSONField(default=dict, encoder=DjangoJSONEncoder, blank=True)
    progress = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    result_file = models.FileField(upload_to="jobs/%Y/%m/", blank=True, max_length=300)
    result_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.progress * 100 / self.total))

    @property
    def done(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    def set_progress(self, progress: int, total: int | None = None) -> None:
        self.progress = progress
        fields = ["progress"]
        if total is not None:
            self.total = total
            fields.append("total")
        BackgroundJob.objects.filter(pk=self.pk).update(**{f: getattr(self, f) for f in fields})


class SavedViewQuerySet(RestrictedQuerySet):
    def available_to(self, user, object_type: str | None = None) -> SavedViewQuerySet:
        """The user's own views and the views shared with everyone (never anyone else's)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        qs = self.filter(Q(user=user) | Q(shared=True))
        return qs if object_type is None else qs.filter(object_type=object_type)

    def owned_by(self, user) -> SavedViewQuerySet:
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)


class SavedView(BaseModel):
    """A named set of list filters, sort order and page size (保存的视图).

    Only a query string: applying a view runs the list through the same ``visible_to`` as
    always, so a shared view never shows anyone more than their own data scope allows.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    object_type = models.CharField(_("object type"), max_length=100)
    name = models.CharField(_("name"), max_length=100)
    query = models.TextField(_("filters"), blank=True)
    is_default = models.BooleanField(
        _("default view"),
        default=False,
        help_text=_("Applied when you open the list without filters."),
    )
    shared = models.BooleanField(
        _("shared with everyone"),
        default=False,
        help_text=_("Everyone can apply it; they still see only the records they may see."),
    )

    objects = models.Manager.from_queryset(SavedViewQuerySet)()

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "object_type", "name"], name="core_savedview_unique_name"
            )
        ]
        indexes = [
            models.Index(fields=["user", "object_type"]),
            models.Index(fields=["object_type", "shared"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """The list page with the view's filters applied."""
        from django.urls import reverse

        from .stores import get_object_type

        ot = get_object_type(self.object_type)
        joiner = "&" if self.query else ""
        return f"{reverse(ot.url_name('list'))}?{self.query}{joiner}view={self.pk}"

    @property
    def query_display(self) -> str:
        """The filters as people read them: "q=华为 · city=上海"."""
        from urllib.parse import unquote_plus

        return " · ".join(unquote_plus(part) for part in self.query.split("&") if part)


class ListSettings(models.Model):
    """What one user last chose on one list page: page size, columns and sort order.

    A preference, not a business record (like a notification's read mark): written by
    ``actions.remember_list_settings`` when the user changes one, applied when the list opens
    without those parameters. Never shared; deleted with the user.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="list_settings",
    )
    object_type = models.CharField(_("object type"), max_length=100)
    per_page = models.PositiveSmallIntegerField(_("rows per page"), null=True, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    sort = models.CharField(_("sort order"), max_length=120, blank=True, default="")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("list settings")
        verbose_name_plural = _("list settings")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "object_type"], name="core_listsettings_unique_user_type"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.object_type}"


class ImportRun(models.Model):
    """One import of a file into an object type: the upload, its column mapping and options, the
    counts of what happened, and the per-row error report (see :mod:`kehu.core.imports`)."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        MAPPED = "mapped", _("Columns mapped")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    class Mode(models.TextChoices):
        SKIP = "skip", _("Skip existing records")
        UPDATE = "update", _("Update existing records")
        CREATE = "create", _("Create new records anyway")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    object_type = models.CharField(_("object type"), max_length=100)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=300)
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=10)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, blank=True)
    headers = models.JSONField(default=list, blank=True)
    #: one target field name per column of the file ("" = column not imported)
    mapping = models.JSONField(default=list, blank=True)
    options = models.JSONField(default=dict, encoder=DjangoJSONEncoder, blank=True)
    mode = models.CharField(
        _("existing records"), max_length=10, choices=Mode.choices, default=Mode.SKIP
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates in the file"), default=0)
    errors = models.PositiveIntegerField(_("rows with errors"), default=0)
    #: the audit-trail batch of every record this run wrote
    batch = models.CharField(_("batch"), max_length=32, blank=True, db_index=True)
    job = models.ForeignKey(
        BackgroundJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    error_file = models.FileField(upload_to="imports/%Y/%m/", blank=True, max_length=300)
    error_name = models.CharField(max_length=255, blank=True)
    #: the first skipped rows: [row number, pk, name] of the existing record each matched
    skipped_rows = models.JSONField(default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return self.file_name

    def summary_text(self) -> str:
        """The counts in the reader's language (``message`` was written in the worker's)."""
        if self.status != self.Status.DONE:
            return self.message
        return _(
            "%(total)s rows: %(created)s created, %(updated)s updated, %(skipped)s skipped, "
            "%(duplicates)s duplicates in the file, %(errors)s with errors."
        ) % {
            "total": f"{self.total_rows:,}",
            "created": f"{self.created:,}",
            "updated": f"{self.updated:,}",
            "skipped": f"{self.skipped:,}",
            "duplicates": f"{self.duplicates:,}",
            "errors": f"{self.errors:,}",
        }

    def error_download_name(self) -> str:
        """The error report's file name in the reader's language: "<file>-errors.csv"."""
        if not self.error_file:
            return ""
        ext = self.error_file.name.rsplit(".", 1)[-1]
        stem = self.file_name.rsplit(".", 1)[0]
        return _("%(name)s-errors") % {"name": stem} + f".{ext}"


class NumberSequence(models.Model):
    """The last number handed out for one numbering series (see :mod:`kehu.core.numbering`).

    One row per series key: the pattern with its date parts filled in, so "KH{YYYY}-{seq:5}"
    starts again at 1 each year. Incremented with an UPDATE inside the caller's transaction,
    which serialises concurrent creations instead of letting them collide on the same number.
    """

    key = models.CharField(_("series"), max_length=100, unique=True)
    last = models.BigIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self) -> str:
        return f"{self.key}: {self.last}"
