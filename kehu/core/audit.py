"""The one audit writer: every audited create, update and delete, single and bulk, goes through here.

Why one module: the audit trail used to be written in about nine places with three diff rules
(raw values in bulk updates, ``audit_exclude`` ignored there, edits that bumped no version). Now:

- :func:`diff` is the only rule for what changed: values compared as the field reads them
  (``to_python``), ``audit_exclude`` skipped, composite values expanded by the model's
  ``audit_expand`` hook (custom fields). :func:`created_changes` / :func:`deleted_changes` describe
  a whole row the same way. ``BaseModel.save``/``delete`` and the bulk operations use them.
- :func:`write_entries` writes the rows (one ``bulk_create``, or the prepared-statement path of
  :mod:`kehu.core.bulkinsert` for imports).
- The operations: :func:`audited_create` / :func:`audited_update` / :func:`audited_delete` for one
  record (``save()`` with the optimistic lock, ``delete()``), :func:`audited_bulk_create`,
  :func:`audited_bulk_update` (same values on every row of a queryset), :func:`audited_bulk_save`
  (different values per loaded row, optimistic lock) and :func:`audited_bulk_delete`; every one
  bumps the version of each row it changes.

Events that are not diffs (logins, exports, permission changes, merges) are recorded with
``AuditLog.record`` — the one helper for them.

``QuerySet.update()`` and ``QuerySet.bulk_update()`` write past ``save()``; on an audited model
(a ``BaseModel``) they refuse to run (:class:`UnauditedWriteError`) unless inside
:func:`audited_write` (the writer, or an action that writes its own audit entry and bumps the
version itself) or :func:`unaudited_write` (the documented escape hatch for derived data that is
deliberately not audited: search columns, login bookkeeping, reminder flags). :func:`install`
(called by ``CoreConfig.ready``) puts the check on Django's ``QuerySet``, so the base manager and
related managers are covered as well as ``objects``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from .audit_guard import (  # noqa: F401  (the guard; these names stay importable from here)
    UnauditedWriteError,
    audited_write,
    check_write,
    install,
    is_audited,
    unaudited_write,
)
from .audit_rules import (  # noqa: F401  (the diff rule; these names stay importable from here)
    audited_fields,
    created_changes,
    deleted_changes,
    diff,
    excluded,
    expand,
)
from .context import get_current_user
from .errors import StaleObjectError
from .events import send_records_changed
from .models import AuditLog, SoftDeleteModel

# --- Writing the entries ------------------------------------------------------------------------


def new_batch() -> str:
    return uuid.uuid4().hex


def write_entries(
    entries: Iterable[tuple[models.Model, dict]],
    action: str,
    *,
    user=None,
    batch: str = "",
    fast: bool = False,
    batch_size: int = 2000,
) -> int:
    """Write one audit row per ``(record, changes)``; ``fast``: through the prepared statements
    of :mod:`kehu.core.bulkinsert` (imports), same rows."""
    entries = list(entries)
    if fast:
        _insert_fast(entries, action, user=user, batch=batch)
    else:
        AuditLog.bulk_record(entries, action, user=user, batch=batch, batch_size=batch_size)
    return len(entries)


def _insert_fast(entries: list[tuple[models.Model, dict]], action: str, *, user, batch) -> None:
    """The rows ``AuditLog.build(...)`` + ``bulk_create`` would write, without model instances."""
    from django.db import connections

    from .bulkinsert import insert_values, prepare
    from .context import get_request_id

    if not entries:
        return
    connection = connections[AuditLog.objects.db]
    fields = [f for f in AuditLog._meta.concrete_fields if not f.primary_key]
    fixed = {
        "user_id": user.pk if user is not None else None,
        "action": action,
        "batch": batch,
        "request_id": get_request_id() or "",
    }
    converters = [prepare(f, connection) for f in fields]
    content_types: dict[type, int] = {}
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
    send_records_changed(entries, action)


def version_bump(model, user, now=None) -> dict[str, Any]:
    """The columns every audited change sets besides its own: version + 1, updated at/by."""
    if not hasattr(model, "version"):
        return {}
    return {"version": F("version") + 1, "updated_at": now or timezone.now(), "updated_by": user}


# --- Single records -----------------------------------------------------------------------------


def audited_create(obj: models.Model) -> models.Model:
    """Create one record: ``save()`` stamps it and writes its creation entry."""
    obj.save(force_insert=True)
    return obj


def audited_update(obj: models.Model, **values: Any) -> models.Model:
    """Change fields of one loaded record: only if its version is still the loaded one
    (:class:`StaleObjectError` otherwise), the version bumped, the diff audited."""
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save(update_fields=list(values) or None)
    return obj


def audited_delete(obj: models.Model, *, user=None) -> None:
    """Delete one record with its entry; soft-deletable records go to the recycle bin."""
    if is_soft_deletable(type(obj)):
        soft_delete(obj=obj, user=user if user is not None else get_current_user())
    else:
        obj.delete()


# --- Soft delete (the recycle bin): deleted rows stay, marked, with their entries -------------


def is_soft_deletable(model) -> bool:
    return isinstance(model, type) and issubclass(model, SoftDeleteModel)


def cascade_relations(model):
    """The relations whose rows are deleted (and restored) with a record: ``soft_delete_cascade``."""
    for name in getattr(model, "soft_delete_cascade", ()):
        rel = model._meta.get_field(name)
        yield rel.related_model, rel.field.name


def soft_delete_queryset(qs: models.QuerySet, *, user, when=None, batch: str = "", **extra) -> int:
    """Mark every row of ``qs`` deleted (and the rows of its ``soft_delete_cascade`` relations),
    with a delete record for each in the audit trail; ``extra`` columns are set on ``qs`` rows."""
    model = qs.model
    when = when or timezone.now()
    batch = batch or new_batch()
    ids = list(qs.filter(deleted_at__isnull=True).values_list("pk", flat=True))
    if not ids:
        return 0
    for related, field in cascade_relations(model):
        soft_delete_queryset(
            related._base_manager.filter(**{f"{field}__in": ids}),
            user=user,
            when=when,
            batch=batch,
        )
    rows = model._base_manager.filter(pk__in=ids)
    entries = [
        (obj, {"deleted_at": [None, when], **{k: [None, v] for k, v in extra.items()}})
        for obj in rows.iterator(chunk_size=2000)
    ]
    changes: dict[str, Any] = {"deleted_at": when, "deleted_by": user, **extra}
    with audited_write():  # the DELETE entries above are the audit record
        rows.update(**changes, **version_bump(model, user, when))
    write_entries(entries, AuditLog.Action.DELETE, user=user, batch=batch)
    return len(ids)


@transaction.atomic
def soft_delete(*, obj: SoftDeleteModel, user) -> int:
    """Move a record (and the records deleted with it) to the recycle bin."""
    n = soft_delete_queryset(type(obj)._base_manager.filter(pk=obj.pk), user=user)
    obj.refresh_from_db()
    return n


def delete_record(*, obj: models.Model, user) -> None:
    """The delete of the generic views and the API: soft for ``SoftDeleteModel`` records."""
    if is_soft_deletable(type(obj)):
        soft_delete(obj=obj, user=user)
    else:
        obj.delete()


# --- Bulk ---------------------------------------------------------------------------------------


@transaction.atomic
def audited_bulk_create(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    batch_size: int = 2000,
    batch: str | None = None,
    fast: bool = False,
) -> list[models.Model]:
    """``bulk_create`` that stamps created/updated by and writes one creation entry per row.

    ``batch`` groups the entries of several calls (one import run) under one ID. ``fast``
    (imports): rows and entries go in through :mod:`kehu.core.bulkinsert` (statements prepared
    once per table, no per-value compilation); same rows, same entries."""
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
    attnames = audited_fields(model)
    write_entries(
        ((obj, created_changes(obj, attnames)) for obj in created),
        AuditLog.Action.CREATE,
        user=user,
        batch=batch or new_batch(),
        fast=fast,
        batch_size=batch_size,
    )
    return created


@transaction.atomic
def audited_bulk_update(
    qs: models.QuerySet,
    *,
    chunk_size: int = 2000,
    batch: str | None = None,
    audit_action: str = AuditLog.Action.UPDATE,
    audit_user=None,
    **changes: Any,
) -> int:
    """``qs.update(**changes)`` with per-row diffs (:func:`diff`) and every row's version bumped.
    ``audit_user``: who the entries name (default: the acting user)."""
    model = qs.model
    user = audit_user if audit_user is not None else get_current_user()
    batch = batch or new_batch()
    fields = [model._meta.get_field(name) for name in changes]
    values = {f.attname: changes[f.name] for f in fields}
    values = {k: (v.pk if isinstance(v, models.Model) else v) for k, v in values.items()}
    total = 0
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        # Whole rows: the entry names each row (str(obj)), which may read any field.
        entries = []
        for obj in model._base_manager.filter(pk__in=chunk):
            if d := diff(obj.__dict__, values, obj):
                entries.append((obj, d))
        with audited_write():
            total += model._base_manager.filter(pk__in=chunk).update(
                **changes, **version_bump(model, user)
            )
        if set(changes) & set(getattr(model, "search_sources", ())):
            from .search import refresh_search_index  # the plain manager skips the search columns

            refresh_search_index(model, pks=chunk, fields=set(changes))
        write_entries(entries, audit_action, user=user, batch=batch)
    return total


@transaction.atomic
def audited_bulk_save(
    objs: Sequence[models.Model],
    fields: Sequence[str],
    *,
    batch: str | None = None,
    action: str = AuditLog.Action.UPDATE,
    record_values: bool = True,
    user=None,
) -> int:
    """Save loaded objects whose ``fields`` hold different new values per row (an import's
    updates, an erasure's rewritten texts): one ``bulk_update``, the per-row diffs audited,
    versions bumped.

    Each object must have been loaded from the database with its version (its loaded values
    are the "before"). A row changed by someone else since it was loaded raises
    :class:`StaleObjectError` and nothing is written. ``record_values=False`` (an erasure) names
    the changed fields in the entry without their values."""
    if not objs:
        return 0
    model = type(objs[0])
    user = user if user is not None else get_current_user()
    attnames = {model._meta.get_field(name).attname for name in fields}
    entries, changed = [], []
    for obj in objs:
        loaded = getattr(obj, "_loaded_values", {})
        d = diff(
            {a: v for a, v in loaded.items() if a in attnames},
            {a: getattr(obj, a) for a in attnames if a in loaded},
            obj,
        )
        if not d:
            continue
        entries.append((obj, d if record_values else {"fields": sorted(d)}))
        changed.append(obj)
    if not changed:
        return 0
    update_fields = list(fields)
    if hasattr(model, "version"):
        now = timezone.now()
        current = dict(
            model._base_manager.filter(pk__in=[o.pk for o in changed])
            .select_for_update()
            .values_list("pk", "version")
        )
        for obj in changed:
            if current.get(obj.pk) != obj.version:
                raise StaleObjectError(obj)
        for obj in changed:
            obj.version += 1
            obj.updated_at = now
            obj.updated_by = user
        update_fields += ["version", "updated_at", "updated_by"]
    with audited_write():
        model.objects.bulk_update(changed, update_fields, batch_size=1000)
    for obj in changed:
        loaded = getattr(obj, "_loaded_values", None)
        if loaded is not None:  # a later save of the same object diffs from here
            loaded.update({a: getattr(obj, a) for a in attnames | {"version"} if a in loaded})
    write_entries(entries, action, user=user, batch=batch or new_batch())
    return len(changed)


@transaction.atomic
def audited_bulk_delete(qs: models.QuerySet, *, batch: str | None = None) -> int:
    """Delete every row of ``qs`` (all or nothing) with a deletion entry for each; soft-deletable
    models (``SoftDeleteModel``) go to the recycle bin instead."""
    batch = batch or new_batch()
    user = get_current_user()
    if is_soft_deletable(qs.model):
        return soft_delete_queryset(qs, user=user, batch=batch)
    return hard_delete(qs, user=user, batch=batch)


def hard_delete(qs: models.QuerySet, *, user, batch: str) -> int:
    """Delete rows for good, each with its deletion entry. ``QuerySet.delete()`` does not call
    ``Model.delete()``, so nothing is audited twice; PROTECT still raises ``ProtectedError`` and
    the caller's transaction writes nothing."""
    entries = [(obj, deleted_changes(obj)) for obj in qs.iterator(chunk_size=2000)]
    write_entries(entries, AuditLog.Action.DELETE, user=user, batch=batch)
    qs.delete()
    return len(entries)
