"""Shared business operations: audited bulk writes, background jobs, attachments, notifications.

``QuerySet.update()``, ``bulk_create()`` and ``QuerySet.delete()`` skip ``Model.save()``; every bulk
path in Kehu goes through these helpers so it is audited and bumps versions like a single save.
"""

from __future__ import annotations

import mimetypes
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .context import get_current_user
from .models import Attachment, AuditLog, BackgroundJob, Notification, expand_audit_changes


def _batch() -> str:
    return uuid.uuid4().hex


@transaction.atomic
def bulk_create_audited(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    batch_size: int = 2000,
    batch: str | None = None,
    fast: bool = False,
) -> list[models.Model]:
    """``bulk_create`` that stamps created/updated by and writes one audit record per row.

    ``batch`` groups the audit records of several calls (one import run) under one ID.
    ``fast`` (imports): the rows and their audit records go in through
    :mod:`kehu.core.bulkinsert` (statements prepared once per table, no per-value compilation);
    same rows, same audit records."""
    user = get_current_user()
    now = timezone.now()
    for obj in objs:
        obj.created_at = getattr(obj, "created_at", None) or now
        if user is not None:
            obj.created_by = obj.created_by if obj.created_by_id else user
            obj.updated_by = user
    if fast:
        from .bulkinsert import insert_objects

        created = insert_objects(model, objs)
    else:
        created = model.objects.bulk_create(objs, batch_size=batch_size)
    batch = batch or _batch()
    exclude = set(getattr(model, "audit_exclude", ()))
    audited = [
        f.attname
        for f in model._meta.concrete_fields
        if not f.primary_key and f.attname not in exclude
    ]
    entries = []
    for obj in created:
        values = obj.__dict__  # a new instance holds every column (no deferred fields)
        changes = {
            a: [None, v]
            for a in audited
            if (v := values[a] if a in values else getattr(obj, a)) is not None and v != ""
        }
        entries.append((obj, expand_audit_changes(obj, changes)))
    if fast:
        _insert_audit_records(entries, AuditLog.Action.CREATE, user=user, batch=batch)
    else:
        AuditLog.objects.bulk_create(
            [
                AuditLog.build(obj, AuditLog.Action.CREATE, changes, user=user, batch=batch)
                for obj, changes in entries
            ],
            batch_size=batch_size,
        )
    return created


def _insert_audit_records(entries: list[tuple[models.Model, dict]], action: str, *, user, batch):
    """The rows ``AuditLog.build(...)`` + ``bulk_create`` would write, without model instances."""
    from django.db import connections

    from .bulkinsert import insert_values, prepare
    from .context import get_request_id

    if not entries:
        return
    connection = connections[AuditLog.objects.db]
    fields = [f for f in AuditLog._meta.concrete_fields if not f.primary_key]
    request_id = get_request_id() or ""
    content_types = {}
    fixed = {
        "user_id": user.pk if user is not None else None,
        "action": action,
        "batch": batch,
        "request_id": request_id,
    }
    converters = [prepare(f, connection) for f in fields]
    rows = []
    for obj, changes in entries:
        ct = content_types.get(type(obj))
        if ct is None:
            ct = content_types[type(obj)] = ContentType.objects.get_for_model(
                obj, for_concrete_model=False
            ).pk
        values = fixed | {
            "timestamp": timezone.now(),
            "content_type_id": ct,
            "object_id": str(obj.pk),
            "object_repr": str(obj)[:200],
            "changes": changes,
        }
        rows.append([c(values[f.attname]) for c, f in zip(converters, fields, strict=True)])
    insert_values(AuditLog, fields, rows)


@transaction.atomic
def bulk_update_audited(
    qs: models.QuerySet, *, chunk_size: int = 2000, batch: str | None = None, **changes: Any
) -> int:
    """``qs.update(**changes)`` with per-row field diffs in the audit trail and version bumps."""
    model = qs.model
    user = get_current_user()
    fields = [model._meta.get_field(name) for name in changes]
    attnames = [f.attname for f in fields]
    batch = batch or _batch()
    values = {f.attname: changes[f.name] for f in fields}
    values = {k: (v.pk if isinstance(v, models.Model) else v) for k, v in values.items()}
    total = 0
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        # Whole rows: the audit record names each row (str(obj)), which may read any field.
        before = model._base_manager.filter(pk__in=chunk)
        entries = []
        for obj in before:
            diff = {
                a: [getattr(obj, a), values[a]] for a in attnames if getattr(obj, a) != values[a]
            }
            diff = expand_audit_changes(obj, diff)
            if diff:
                entries.append(
                    AuditLog.build(obj, AuditLog.Action.UPDATE, diff, user=user, batch=batch)
                )
        extra: dict[str, Any] = {}
        if hasattr(model, "version"):
            extra = {"version": F("version") + 1, "updated_at": timezone.now(), "updated_by": user}
        total += model._base_manager.filter(pk__in=chunk).update(**changes, **extra)
        if set(changes) & set(getattr(model, "search_sources", ())):
            from .search import refresh_search_index  # the plain manager skips the search columns

            refresh_search_index(model, pks=chunk, fields=set(changes))
        AuditLog.objects.bulk_create(entries)
    return total


@transaction.atomic
def bulk_save_audited(
    objs: Sequence[models.Model], fields: Sequence[str], *, batch: str | None = None
) -> int:
    """Save loaded objects whose ``fields`` hold different new values per row (an import's
    updates): one ``bulk_update``, the per-row diffs in the audit trail, versions bumped.

    Each object must have been loaded from the database (its loaded values are the "before").
    Rows changed by someone else since they were loaded raise :class:`StaleObjectError`."""
    from .errors import StaleObjectError

    if not objs:
        return 0
    model = type(objs[0])
    user = get_current_user()
    batch = batch or _batch()
    attnames = [model._meta.get_field(name).attname for name in fields]
    versioned = hasattr(model, "version")
    entries, changed = [], []
    now = timezone.now()
    for obj in objs:
        loaded = getattr(obj, "_loaded_values", {})
        diff = {}
        for a in attnames:
            field = model._meta.get_field(a)
            old, new = loaded.get(a), getattr(obj, a)
            if field.to_python(old) != field.to_python(new):
                diff[a] = [old, new]
        if not diff:
            continue
        entries.append(AuditLog.build(obj, AuditLog.Action.UPDATE, diff, user=user, batch=batch))
        changed.append(obj)
    if not changed:
        return 0
    update_fields = list(fields)
    if versioned:
        current = dict(
            model.objects.filter(pk__in=[o.pk for o in changed])
            .select_for_update()
            .values_list("pk", "version")
        )
        for obj in changed:
            if current.get(obj.pk) != obj.version:
                raise StaleObjectError(obj)
            obj.version += 1
            obj.updated_at = now
            obj.updated_by = user
        update_fields += ["version", "updated_at", "updated_by"]
    model.objects.bulk_update(changed, update_fields, batch_size=1000)
    AuditLog.objects.bulk_create(entries, batch_size=2000)
    return len(changed)


@transaction.atomic
def bulk_delete(qs: models.QuerySet) -> int:
    """Delete every row of ``qs`` (all or nothing) with a delete record for each in the trail;
    soft-deletable models (``SoftDeleteModel``) go to the recycle bin instead."""
    batch = _batch()
    user = get_current_user()
    from .records import is_soft_deletable, soft_delete_queryset

    if is_soft_deletable(qs.model):
        return soft_delete_queryset(qs, user=user, batch=batch)
    entries = []
    for obj in qs.iterator(chunk_size=2000):
        snapshot = obj.audit_snapshot() if hasattr(obj, "audit_snapshot") else {}
        entries.append(
            AuditLog.build(
                obj,
                AuditLog.Action.DELETE,
                expand_audit_changes(
                    obj, {k: [v, None] for k, v in snapshot.items() if v not in (None, "")}
                ),
                user=user,
                batch=batch,
            )
        )
    AuditLog.objects.bulk_create(entries, batch_size=2000)
    # QuerySet.delete() does not call Model.delete(), so rows are not audited twice; PROTECT
    # still raises ProtectedError and the surrounding transaction writes nothing.
    qs.delete()
    return len(entries)


def delete_record(*, obj: models.Model, user) -> None:
    """The delete of the generic views and the API: soft for ``SoftDeleteModel`` records."""
    from .records import is_soft_deletable, soft_delete

    if is_soft_deletable(type(obj)):
        soft_delete(obj=obj, user=user)
    else:
        obj.delete()


# --- Background jobs ----------------------------------------------------------------------------


def start_job(*, user, kind: str, title: str, task, params: dict[str, Any]) -> BackgroundJob:
    """Record the job and enqueue its task once the surrounding transaction commits."""
    job = BackgroundJob.objects.create(user=user, kind=kind, title=title, params=params)
    transaction.on_commit(lambda: task.delay(job.pk))
    return job


def start_export(*, user, object_type, fmt: str, params: dict, sort: str) -> BackgroundJob:
    from .tasks import export_job

    title = _("Export of %(objects)s (%(format)s)") % {
        "objects": object_type.verbose_name_plural(),
        "format": fmt.upper(),
    }
    return start_job(
        user=user,
        kind="export",
        title=title,
        task=export_job,
        params={"object_type": object_type.label, "format": fmt, "filters": params, "sort": sort},
    )


# --- Notifications ------------------------------------------------------------------------------


def notify(
    *,
    recipients: Iterable,
    title: str,
    body: str = "",
    link: str = "",
    level: str = Notification.Level.INFO,
    kind: str = "",
    due_at=None,
    dedupe_key: str = "",
) -> int:
    """Post a reminder to users' inboxes; a ``dedupe_key`` makes repeated runs post it once."""
    created = 0
    for user in recipients:
        if dedupe_key:
            _obj, new = Notification.objects.get_or_create(
                recipient=user,
                dedupe_key=dedupe_key,
                defaults={
                    "title": title,
                    "body": body,
                    "link": link,
                    "level": level,
                    "kind": kind,
                    "due_at": due_at,
                },
            )
            created += int(new)
        else:
            Notification.objects.create(
                recipient=user,
                title=title,
                body=body,
                link=link,
                level=level,
                kind=kind,
                due_at=due_at,
            )
            created += 1
    return created


UNREAD_TTL = 300  # seconds; bounds staleness should a change bypass the invalidation below


def _unread_key(user_id: int) -> str:
    return f"kehu:unread:{user_id}"


def unread_count(user) -> int:
    """The inbox badge on every page: cached per user, dropped whenever their inbox changes."""
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_TTL)
    return count


def forget_unread(user_id: int) -> None:
    cache.delete(_unread_key(user_id))


def mark_notifications_read(*, user, pk: int | None = None) -> int:
    """Mark one or all of a user's unread notifications read."""
    items = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if pk is not None:
        items = items.filter(pk=pk)
    changed = items.update(read_at=timezone.now())
    forget_unread(user.pk)
    return changed


# --- Attachments --------------------------------------------------------------------------------

ALLOWED_EXTENSIONS = {
    "pdf",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "webp",
    "txt",
    "csv",
    "xlsx",
    "xls",
    "docx",
    "doc",
    "pptx",
    "ppt",
    "odt",
    "ods",
    "zip",
    "eml",
    "msg",
    "vcf",
    "ics",
    "json",
    "xml",
    "md",
}
MAGIC = {
    "pdf": [b"%PDF"],
    "png": [b"\x89PNG"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "gif": [b"GIF8"],
    "zip": [b"PK\x03\x04"],
    "xlsx": [b"PK\x03\x04"],
    "docx": [b"PK\x03\x04"],
    "pptx": [b"PK\x03\x04"],
}


def check_upload(upload) -> str:
    """Refuse oversized files, unknown types and files whose content does not match their name."""
    name = upload.name or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED_EXTENSIONS:
        raise ValidationError(
            _("Files of type “%(ext)s” cannot be attached.") % {"ext": ext or "?"}, code="invalid"
        )
    if upload.size > settings.KEHU_MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is larger than %(max)s MB.")
            % {"max": settings.KEHU_MAX_UPLOAD_BYTES // 2**20},
            code="too_large",
        )
    head = upload.read(1024)
    upload.seek(0)
    if ext in MAGIC and not any(head.startswith(m) for m in MAGIC[ext]):
        raise ValidationError(_("The file content does not match its type."), code="invalid")
    # browsers sniff past a byte-order mark and leading white space: so does this check
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if text.startswith((b"<html", b"<!doc", b"<svg", b"<scr")):
        raise ValidationError(_("Web pages and scripts cannot be attached."), code="invalid")
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


@transaction.atomic
def add_attachment(*, target: models.Model, upload) -> Attachment:
    mime = check_upload(upload)
    digest = Attachment.digest(upload.chunks())
    upload.seek(0)
    att = Attachment(
        content_type=ContentType.objects.get_for_model(target),
        object_id=str(target.pk),
        name=upload.name[:255],
        size=upload.size,
        mime_type=mime,
        sha256=digest,
        uploaded_by=get_current_user(),
    )
    att.file.save(upload.name, upload, save=False)
    att.save()
    AuditLog.record(target, AuditLog.Action.UPDATE, {"attachment": [None, att.name]})
    return att


def may_see_record(user, model: type[models.Model] | None, pk) -> bool | None:
    """Whether ``user`` may see record ``pk`` of ``model`` — the one check for everything hung
    on a record (attachments): the type's functional view permission (``False`` without it)
    and the record among ``visible_to`` (``None`` when it is not: 404, existence not revealed).
    Types outside the registry are never served (``None``)."""
    from .registry import find_object_type

    ot = find_object_type(model) if model is not None else None
    if ot is None or not hasattr(ot.model.objects, "visible_to"):
        return None
    if not ot.allows(user, "view"):
        return False
    return ot.model.objects.visible_to(user).filter(pk=pk).exists() or None


def attachments_for(obj: models.Model, *, user) -> models.QuerySet[Attachment]:
    """The files of ``obj`` that ``user`` may see: every page, card and timeline listing
    attachments goes through here, with the same rule as the download (``may_see_record``)."""
    if not may_see_record(user, type(obj), obj.pk):
        return Attachment.objects.none()
    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("uploaded_by")


# --- Saved views (保存的视图) -----------------------------------------------------------------------

#: Query parameters that are navigation or one-off actions, never part of a saved view.
VIEW_QUERY_IGNORED = frozenset(
    {"after", "before", "last", "export", "view", "csrfmiddlewaretoken", "page"}
)


def clean_view_query(query: str) -> str:
    """The filters, sort and page size of a list URL's query string, without navigation."""
    from django.http import QueryDict

    data = QueryDict(query.lstrip("?"), mutable=True)
    for key in list(data.keys()):
        values = [v for v in data.getlist(key) if v.strip()]
        if key in VIEW_QUERY_IGNORED or not values:
            del data[key]
        else:
            data.setlist(key, values)
    return data.urlencode()


def check_saved_view(view, *, user) -> None:
    """A view belongs to a registered list the user may open, has a unique name per list, and is
    shared only by someone allowed to share."""
    from .models import SavedView
    from .permissions import SpecialPermission
    from .registry import find_object_type

    ot = find_object_type(view.object_type)
    if ot is None or not ot.allows(user):
        raise ValidationError({"object_type": _("This list does not exist.")})
    view.name = (view.name or "").strip()
    if not view.name:
        raise ValidationError({"name": _("Give the view a name.")})
    if len(view.name) > 100:
        raise ValidationError({"name": _("Keep the name under 100 characters.")})
    if view.shared and not user.has_perm(SpecialPermission.SHARE_VIEWS):
        raise ValidationError({"shared": _("You may not share views with everyone.")})
    clash = SavedView.objects.filter(user=user, object_type=view.object_type, name=view.name)
    if view.pk:
        clash = clash.exclude(pk=view.pk)
    if clash.exists():
        raise ValidationError({"name": _("You already have a view with this name.")})


def _own_view(view, user) -> None:
    if view.user_id != user.pk:
        raise PermissionDenied(_("Only the person who saved a view may change it."))


@transaction.atomic
def save_view(
    *,
    user,
    object_type: str,
    name: str,
    query: str,
    is_default: bool = False,
    shared: bool = False,
):
    """Save the current filters of a list as a named view of the user's."""
    from .models import SavedView

    view = SavedView(
        user=user,
        object_type=object_type,
        name=name,
        query=clean_view_query(query),
        is_default=is_default,
        shared=shared,
    )
    check_saved_view(view, user=user)
    view.save()
    if is_default:
        _only_default(view)
    return view


@transaction.atomic
def update_view(
    *,
    view,
    user,
    name: str | None = None,
    is_default: bool | None = None,
    shared: bool | None = None,
    query: str | None = None,
):
    """Rename, (un)share, replace the filters of, or make default one of the user's views."""
    _own_view(view, user)
    if name is not None:
        view.name = name
    if shared is not None:
        view.shared = shared
    if query is not None:
        view.query = clean_view_query(query)
    if is_default is not None:
        view.is_default = is_default
    check_saved_view(view, user=user)
    view.save()
    if view.is_default:
        _only_default(view)
    return view


def _only_default(view) -> None:
    from .models import SavedView

    for other in SavedView.objects.filter(
        user_id=view.user_id, object_type=view.object_type, is_default=True
    ).exclude(pk=view.pk):
        other.is_default = False
        other.save(update_fields=["is_default"])


@transaction.atomic
def delete_view(*, view, user) -> None:
    _own_view(view, user)
    view.delete()


def default_view(user, object_type: str):
    """The user's default view of a list, if any."""
    from .models import SavedView

    return SavedView.objects.owned_by(user).filter(object_type=object_type, is_default=True).first()
