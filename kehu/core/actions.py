"""Shared business operations: audited bulk writes, background jobs, attachments, notifications.

``QuerySet.update()``, ``bulk_create()`` and ``QuerySet.delete()`` skip ``Model.save()``; every bulk
path in Kehu goes through the audit writer (``core.audit``; the ``bulk_*_audited`` names below are
its operations) so it is audited and bumps versions like a single save.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .context import get_current_user
from .jobs import start_job  # lives in core.jobs (below imports and tasks); the name stays
from .models import Attachment, AuditLog, BackgroundJob, Notification
from .uploads import check_upload


def _batch() -> str:
    return uuid.uuid4().hex


# The audited bulk writes live in ``core.audit`` (the one writer); these names stay for callers.
bulk_create_audited = audit.audited_bulk_create
bulk_update_audited = audit.audited_bulk_update
bulk_save_audited = audit.audited_bulk_save
bulk_delete = audit.audited_bulk_delete
delete_record = audit.delete_record


# --- Background jobs ----------------------------------------------------------------------------


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


def may_edit_record(user, obj: models.Model) -> bool:
    """Whether ``user`` may change ``obj``: the type's change permission and the record among
    ``editable_by`` (attaching and removing files needs it)."""
    from .registry import find_object_type

    ot = find_object_type(type(obj))
    if ot is None or not ot.allows(user, "change"):
        return False
    return ot.model.objects.editable_by(user).filter(pk=obj.pk).exists()


@transaction.atomic
def delete_attachment(*, attachment: Attachment) -> None:
    """Remove a file from its record (audited on the record) and from storage."""
    target_model = attachment.content_type.model_class()
    target = target_model._base_manager.filter(pk=attachment.object_id).first()
    name, file = attachment.name, attachment.file
    attachment.delete()
    if target is not None:
        AuditLog.record(target, AuditLog.Action.UPDATE, {"attachment": [name, None]})
    transaction.on_commit(lambda: file.delete(save=False))


def attachment_panel(obj: models.Model, *, user, errors=(), added=()) -> dict:
    """What the attachments card (``core/_attachments.html``) shows for ``obj``: its files the
    user may see, with upload and delete when the user may edit the record."""
    from django.conf import settings
    from django.urls import reverse

    from .uploads import ALLOWED_EXTENSIONS

    label = obj._meta.label_lower
    can_edit = may_edit_record(user, obj)
    return {
        "object": obj,
        "attachments": list(attachments_for(obj, user=user)[:200]),
        "can_attach": can_edit,
        "card_url": reverse("core:attachment_card", args=[label, obj.pk]),
        "upload_url": reverse("core:attachment_upload", args=[label, obj.pk]),
        "max_mb": settings.KEHU_MAX_UPLOAD_BYTES // 2**20,
        "accept": ",".join(f".{ext}" for ext in sorted(ALLOWED_EXTENSIONS)),
        "errors": list(errors),
        "added": list(added),
    }


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


# --- List settings and edits from the list ---------------------------------------------------


def remember_list_settings(
    *,
    user,
    object_type: str,
    per_page: int | None = None,
    columns: list[str] | None = None,
    sort: str | None = None,
):
    """Keep a user's page size, columns or sort order of one list for their next visit (a
    preference: not audited, never shared)."""
    from .models import ListSettings

    settings_, _created = ListSettings.objects.get_or_create(user=user, object_type=object_type)
    if per_page is not None:
        settings_.per_page = per_page
    if columns is not None:
        settings_.columns = list(columns)
    if sort is not None:
        settings_.sort = sort[:120]
    settings_.save()
    return settings_


class EditRefusal(models.TextChoices):
    """Why a row of a mass update was left unchanged."""

    NOT_VISIBLE = "not_visible", _("not found or not visible to you")
    NOT_EDITABLE = "not_editable", _("outside what you may edit")
    INVALID = "invalid", _("refused by the record's rules")
    STALE = "stale", _("changed by someone else meanwhile")


def edit_record(*, object_type, user, obj, data: dict, version: int | None = None):
    """Change some fields of one record through its type's update action (rules, write guards,
    the audit trail and the version check all apply): the list's inline edit. A stale
    ``version`` raises ``StaleObjectError``, a rule ``ValidationError``."""
    with transaction.atomic():
        return object_type.actions.update(user=user, obj=obj, data=data, version=version)


def mass_update(*, object_type, user, pks: Iterable[int], data: dict) -> dict:
    """Set the same fields on many records, one by one through the type's update action, each
    in its own transaction: the records the user may not edit (the restricted queryset) or
    that a rule refuses are left as they were and reported with the reason.

    Returns ``{"updated": [pk, ...], "refused": [(pk, label, EditRefusal, message), ...]}``."""
    from .errors import StaleObjectError

    pks = list(dict.fromkeys(int(p) for p in pks))
    model = object_type.model
    visible = {o.pk: o for o in model.objects.visible_to(user).filter(pk__in=pks)}
    editable = set(model.objects.editable_by(user).filter(pk__in=pks).values_list("pk", flat=True))
    updated: list[int] = []
    refused: list[tuple] = []
    for pk in pks:
        obj = visible.get(pk)
        if obj is None:
            refused.append((pk, f"#{pk}", EditRefusal.NOT_VISIBLE, ""))
            continue
        if pk not in editable:
            refused.append((pk, str(obj), EditRefusal.NOT_EDITABLE, ""))
            continue
        try:
            with transaction.atomic():
                object_type.actions.update(user=user, obj=obj, data=dict(data))
        except StaleObjectError as exc:
            refused.append((pk, str(obj), EditRefusal.STALE, str(exc)))
        except ValidationError as exc:
            refused.append((pk, str(obj), EditRefusal.INVALID, " ".join(exc.messages)))
        else:
            updated.append(pk)
    return {"updated": updated, "refused": refused}
