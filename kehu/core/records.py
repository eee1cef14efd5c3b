"""Record operations every module shares: soft delete, restore, purge, what depends on a record,
and moving every related record from one record to another (merge and its undo).

Relations are discovered generically: every ``ForeignKey``/``ManyToManyField`` pointing at the
model (``_meta.related_objects``) plus the generic links registered here (attachments, record
shares, and whatever later modules register), so records of modules written later are counted,
moved and moved back without this code knowing them.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .audit import (  # soft delete lives in the audit writer; the names stay importable here
    audited_write,
    cascade_relations,
    is_soft_deletable,
    soft_delete,  # noqa: F401
    soft_delete_queryset,  # noqa: F401
    version_bump,
    write_entries,
)
from .models import AuditLog, SoftDeleteModel

log = logging.getLogger(__name__)

#: Generic links (content type + object id columns) that belong to the record they point at:
#: label -> (content type field, object id field).
GENERIC_LINKS: dict[str, tuple[str, str]] = {
    "core.attachment": ("content_type", "object_id"),
    "system.recordshare": ("content_type", "object_id"),
}
#: Models that describe a relation rather than depend on it (merge history): never counted,
#: never moved by a merge.
NOT_MOVED: set[str] = set()


def register_generic_link(label: str, ct_field: str = "content_type", id_field: str = "object_id"):
    """Declare a model with a generic foreign key as belonging to the record it points at."""
    GENERIC_LINKS[label] = (ct_field, id_field)


def _batch() -> str:
    return uuid.uuid4().hex


# --- Soft delete and restore --------------------------------------------------------------------


def check_restore(obj: SoftDeleteModel) -> None:
    """A record comes back only within the retention period, and only if its unique values
    (customer number …) were not taken by another record in the meantime."""
    if obj.deleted_at is None:
        raise ValidationError(_("%(object)s is not deleted.") % {"object": obj})
    if getattr(obj, "merged_into_id", None):
        raise ValidationError(
            _("%(object)s was merged into another record; undo the merge instead.")
            % {"object": obj}
        )
    for field in obj._meta.concrete_fields:
        # a required parent (a contact's customer) must be live; optional links may dangle
        if field.is_relation and not field.null:
            target = field.related_model
            value = getattr(obj, field.attname)
            if value is not None and is_soft_deletable(target):
                parent = target._base_manager.filter(pk=value).first()
                if parent is not None and parent.deleted_at is not None:
                    raise ValidationError(
                        _("Restore %(parent)s first: %(object)s belongs to it.")
                        % {"parent": parent, "object": obj}
                    )
    saved = obj.deleted_at
    obj.deleted_at = None
    try:
        obj.validate_constraints()
    finally:
        obj.deleted_at = saved


@transaction.atomic
def restore(*, obj: SoftDeleteModel, user) -> int:
    """Take a record out of the recycle bin with the records deleted together with it."""
    check_restore(obj)
    return _restore_rows(type(obj), [obj.pk], when=obj.deleted_at, user=user, batch=_batch())


def _restore_rows(model, ids, *, when, user, batch) -> int:
    rows = model._base_manager.filter(pk__in=ids, deleted_at=when)
    entries = [(obj, {"deleted_at": [when, None]}) for obj in rows]
    ids = [obj.pk for obj, _changes in entries]
    with audited_write():  # the RESTORE entries are the audit record
        rows.update(deleted_at=None, deleted_by=None, **version_bump(model, user))
    write_entries(entries, AuditLog.Action.RESTORE, user=user, batch=batch)
    n = len(ids)
    for related, field in cascade_relations(model):
        children = related._base_manager.filter(**{f"{field}__in": ids}, deleted_at=when)
        n += _restore_rows(
            related, list(children.values_list("pk", flat=True)), when=when, user=user, batch=batch
        )
    return n


# --- What depends on a record -------------------------------------------------------------------


@dataclass
class Dependent:
    label: str  # model label
    name: str  # verbose name plural
    field: str
    count: int
    effect: str  # what happens to them
    #: Some of them are outside what the user may see (not counted, never named).
    hidden: bool = False


def _relations(model):
    """Reverse FK/M2M relations pointing at ``model``, hidden ones (``related_name="+"``)
    included; merge history and M2M through tables (handled by their M2M) excluded."""
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and rel.is_relation):
            continue
        related = rel.related_model
        if related._meta.auto_created or related._meta.label_lower in NOT_MOVED:
            continue
        yield rel


def _generic_models():
    for label, (ct_field, id_field) in GENERIC_LINKS.items():
        try:
            yield apps.get_model(label), ct_field, id_field
        except LookupError:
            continue


EFFECT_CASCADE = gettext_lazy("Deleted with it, restored with it")
EFFECT_KEPT_LINK = gettext_lazy("Kept; the link is removed when the record is purged")
EFFECT_BLOCKS = gettext_lazy("Kept; the record cannot be purged while they point to it")
EFFECT_PURGED = gettext_lazy(
    "Kept while the record is in the recycle bin; deleted when it is purged"
)


def _count(qs, user) -> tuple[int, bool]:
    """How many of ``qs`` ``user`` may see, and whether there are others (without ``user``:
    all of them)."""
    if user is None or not hasattr(qs, "visible_to") or qs.model.owner_path is None:
        return qs.count(), False
    visible = qs.visible_to(user).count()
    return visible, visible < qs.count()


def dependents(obj: models.Model, *, user=None) -> list[Dependent]:
    """Every kind of record that points at ``obj``, with a count and what deleting does to it.

    With ``user`` (the delete page) only the records they may see are counted; those they may
    not see only set ``hidden``, so the page can say there are others without counting or
    naming them."""
    model = type(obj)
    cascade = set(getattr(model, "soft_delete_cascade", ()))
    purged_with = set(getattr(model, "purge_cascade", ()))
    found = []
    for rel in _relations(model):
        related = rel.related_model
        qs = related._default_manager.filter(**{rel.field.name: obj})
        if related is model:
            qs = qs.exclude(pk=obj.pk)
        count, hidden = _count(qs, user)
        if not count and not hidden:
            continue
        if rel.get_accessor_name() in cascade:
            effect = EFFECT_CASCADE
        elif rel.get_accessor_name() in purged_with:
            effect = EFFECT_PURGED
        elif rel.many_to_many or rel.field.null:
            effect = EFFECT_KEPT_LINK
        elif rel.on_delete is models.CASCADE:
            effect = EFFECT_PURGED
        else:
            effect = EFFECT_BLOCKS
        name = str(related._meta.verbose_name_plural)
        if related is model:  # e.g. subsidiaries: say which link
            name = f"{name} ({rel.field.verbose_name})"
        found.append(
            Dependent(
                related._meta.label_lower,
                name,
                rel.field.name,
                count,
                str(effect),
                hidden,
            )
        )
    ct = ContentType.objects.get_for_model(model)
    for generic, ct_field, id_field in _generic_models():
        count = generic._default_manager.filter(**{ct_field: ct, id_field: obj.pk}).count()
        if count:
            found.append(
                Dependent(
                    generic._meta.label_lower,
                    str(generic._meta.verbose_name_plural),
                    id_field,
                    count,
                    str(EFFECT_PURGED),
                )
            )
    return found


# --- Purge --------------------------------------------------------------------------------------


def _hard_delete(model, ids) -> None:
    """Delete rows for good with a delete record for each (all or nothing)."""
    from .audit import hard_delete

    hard_delete(model._base_manager.filter(pk__in=ids), user=None, batch=_batch())


def _purge_batch(model, ids: list) -> None:
    """Purge deleted records ``ids`` and what was deleted with them, in bulk."""
    from .audit import audited_bulk_update as bulk_update_audited

    for related, field in cascade_relations(model):
        children = list(
            related._base_manager.filter(
                **{f"{field}__in": ids}, deleted_at__isnull=False
            ).values_list("pk", flat=True)
        )
        if children:
            _purge_batch(related, children)
    # Records that are part of this one (a customer's activities) go with it, audited.
    for name in getattr(model, "purge_cascade", ()):
        rel = model._meta.get_field(name)
        children = list(
            rel.related_model._base_manager.filter(**{f"{rel.field.name}__in": ids}).values_list(
                "pk", flat=True
            )
        )
        if children:
            _purge_batch(rel.related_model, children)
    for rel in _relations(model):
        if rel.many_to_many or not rel.field.null or rel.on_delete is models.CASCADE:
            continue
        name = rel.field.name
        qs = rel.related_model._base_manager.filter(**{f"{name}__in": ids})
        if rel.related_model is model:
            with audited_write():  # purged together: their DELETE entries follow
                qs.filter(pk__in=ids).update(**{name: None})
            qs = qs.exclude(pk__in=ids)
        if qs.exists():
            bulk_update_audited(qs, **{name: None})
    ct = ContentType.objects.get_for_model(model)
    for generic, ct_field, id_field in _generic_models():
        cast = generic._meta.get_field(id_field).to_python
        generic._base_manager.filter(
            **{ct_field: ct, f"{id_field}__in": [cast(i) for i in ids]}
        ).delete()
    # The references above were cleared with their entries: Django's own SET_NULL updates
    # during the delete find no rows left and are not a second, unaudited write.
    with audited_write():
        _hard_delete(model, ids)


def purge_expired(
    *, model, retention_days: int, now=None, batch_size: int = 500
) -> tuple[int, int]:
    """Hard-delete records deleted more than ``retention_days`` ago (audited), in batches; a
    record that other records still require (PROTECT) stays and is counted as skipped."""
    now = now or timezone.now()
    before = now - datetime.timedelta(days=retention_days)
    purged = skipped = 0
    ids = list(
        model._base_manager.filter(deleted_at__lt=before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), batch_size):
        chunk = list(
            model._base_manager.filter(
                pk__in=ids[start : start + batch_size], deleted_at__lt=before
            ).values_list("pk", flat=True)
        )
        try:
            with transaction.atomic():
                _purge_batch(model, chunk)
            purged += len(chunk)
            continue
        except ProtectedError:
            pass
        for pk in chunk:  # find the records that are still required, one by one
            try:
                with transaction.atomic():
                    _purge_batch(model, [pk])
            except ProtectedError:
                skipped += 1
                log.warning("purge: %s %s is still required by other records", model.__name__, pk)
            else:
                purged += 1
    return purged, skipped


# --- Moving related records (merge) ------------------------------------------------------------


def move_related(*, model, sources: list[int], target: int, keep: set[int]) -> list[dict]:
    """Point every record related to one of ``sources`` at ``target`` instead; returns the moved
    rows as ``{"model", "pk", "field", "from"}`` (``"m2m": True`` for through rows, ``"dropped"``
    for a through row removed because the target already had that link)."""
    from .audit import audited_bulk_update as bulk_update_audited

    moved: list[dict] = []
    for rel in _relations(model):
        related = rel.related_model
        if rel.many_to_many:
            through = rel.field.remote_field.through
            target_col = rel.field.m2m_reverse_field_name()
            source_col = rel.field.m2m_field_name()
            label = through._meta.label_lower
            existing = set(
                through.objects.filter(**{target_col: target}).values_list(
                    f"{source_col}_id", flat=True
                )
            )
            for row in through.objects.filter(**{f"{target_col}__in": sources}).order_by("pk"):
                owner_id = getattr(row, f"{source_col}_id")
                entry = {
                    "model": label,
                    "pk": row.pk,
                    "field": target_col,
                    "from": getattr(row, f"{target_col}_id"),
                    "m2m": True,
                    "source": [source_col, owner_id],
                }
                if owner_id in existing:
                    entry["dropped"] = True
                    row.delete()
                else:
                    existing.add(owner_id)
                    through.objects.filter(pk=row.pk).update(**{target_col: target})
                moved.append(entry)
            continue
        field = rel.field.name
        for source in sources:
            qs = related._base_manager.filter(**{field: source})
            if related is model:
                qs = qs.exclude(pk__in=keep)
            pks = list(qs.order_by("pk").values_list("pk", flat=True))
            if not pks:
                continue
            moved += [
                {"model": related._meta.label_lower, "pk": pk, "field": field, "from": source}
                for pk in pks
            ]
            bulk_update_audited(related._base_manager.filter(pk__in=pks), **{field: target})
    ct = ContentType.objects.get_for_model(model)
    for generic, ct_field, id_field in _generic_models():
        cast = generic._meta.get_field(id_field).to_python
        for source in sources:
            qs = generic._base_manager.filter(**{ct_field: ct, id_field: cast(source)})
            pks = list(qs.order_by("pk").values_list("pk", flat=True))
            if not pks:
                continue
            moved += [
                {"model": generic._meta.label_lower, "pk": pk, "field": id_field, "from": source}
                for pk in pks
            ]
            bulk_update_audited(
                generic._base_manager.filter(pk__in=pks), **{id_field: cast(target)}
            )
    return moved


def move_back(*, moved: list[dict], target: int) -> tuple[int, list[dict]]:
    """Undo ``move_related``: rows still pointing at ``target`` return to where they came from;
    returns the count moved back and the rows that had been moved elsewhere since (left alone)."""
    from .audit import audited_bulk_update as bulk_update_audited

    back = 0
    elsewhere = []
    groups: dict[tuple[str, str, Any], list[int]] = {}
    for row in moved:
        model = apps.get_model(row["model"])
        if row.get("m2m"):
            source_col, owner_id = row["source"]
            if row.get("dropped"):
                model.objects.get_or_create(
                    **{f"{source_col}_id": owner_id, f"{row['field']}_id": row["from"]}
                )
                back += 1
                continue
            n = model.objects.filter(pk=row["pk"], **{f"{row['field']}_id": target}).update(
                **{f"{row['field']}_id": row["from"]}
            )
            back += n
            if not n:
                elsewhere.append(row)
            continue
        groups.setdefault((row["model"], row["field"], row["from"]), []).append(row["pk"])
    for (label, field, source), pks in groups.items():
        model = apps.get_model(label)
        cast = model._meta.get_field(field)
        value = cast.to_python(target) if not cast.is_relation else target
        still = model._base_manager.filter(pk__in=pks, **{field: value})
        ids = set(still.values_list("pk", flat=True))
        elsewhere += [
            {"model": label, "pk": pk, "field": field, "from": source}
            for pk in pks
            if pk not in ids
        ]
        if ids:
            back_value = cast.to_python(source) if not cast.is_relation else source
            back += bulk_update_audited(
                model._base_manager.filter(pk__in=ids), **{field: back_value}
            )
    return back, elsewhere
