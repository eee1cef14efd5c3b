"""Record operations on customers and contacts: restore, copy, merge with undo, and erasure of
personal data (PIPL/GDPR). Views, the API and tasks all call these."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core import records
from kehu.core.audit import audited_write
from kehu.core.models import AuditLog
from kehu.core.permissions import SpecialPermission
from kehu.core.registry import registry
from kehu.core.search import refresh_search_index

from ..models import (
    CONTACT_FIELDS,
    CUSTOMER_FIELDS,
    Contact,
    ContactAlias,
    ContactMerge,
    Customer,
    CustomerAlias,
    CustomerMerge,
)
from ..signals import merge_undone, records_merged
from .customer import _sync_contact_owners, save_contact, save_customer

__all__ = [
    "require_merge_permission",
    "CONTACT_MERGE",
    "CUSTOMER_MERGE",
    "ERASURE_HOOKS",
    "check_merge",
    "copy_customer",
    "erase_personal_data",
    "merge_contacts",
    "merge_customers",
    "merge_kind",
    "may_undo",
    "merge_records",
    "preview_undo",
    "preview_undo_for",
    "register_erasure",
    "restore_record",
    "undo_merge",
    "visible_snapshot",
    "visible_snapshots",
]


# --- Restore ------------------------------------------------------------------------------------


def restore_record(*, obj, user) -> int:
    """Take a customer or contact out of the recycle bin: the user needs the delete permission
    of its type and must be allowed to edit it."""
    model = type(obj)
    if not user.has_perm(f"customers.delete_{model._meta.model_name}"):
        raise PermissionDenied
    if not model.all_objects.editable_by(user).filter(pk=obj.pk).exists():
        raise PermissionDenied
    return records.restore(obj=obj, user=user)


# --- Copy ---------------------------------------------------------------------------------------


@transaction.atomic
def copy_customer(
    *, source: Customer, customer: Customer, user, with_contacts: bool = False
) -> Customer:
    """Save ``customer`` (a new record prefilled from ``source``) as a fresh customer owned by the
    user, with copies of the source's contacts if asked; nothing of the source's history."""
    if not Customer.objects.visible_to(user).filter(pk=source.pk).exists():
        raise PermissionDenied
    customer.pk = None
    customer._state.adding = True
    customer.owner_id = None
    customer.department_id = None
    save_customer(customer=customer, user=user)
    if with_contacts:
        mapping: dict[int, Contact] = {}
        originals = list(Contact.objects.filter(customer=source).order_by("pk"))
        for original in originals:
            copy = Contact(
                customer=customer, **{f: getattr(original, f) for f in CONTACT_FIELDS[1:]}
            )
            copy.reports_to = None
            save_contact(contact=copy, user=user)
            mapping[original.pk] = copy
        for original in originals:  # the reporting lines among the copies
            if original.reports_to_id in mapping:
                copy = mapping[original.pk]
                copy.reports_to = mapping[original.reports_to_id]
                save_contact(contact=copy, user=user)
    return customer


# --- Merge --------------------------------------------------------------------------------------


@dataclass
class MergeKind:
    model: type[models.Model]
    merge_model: type[models.Model]
    alias_model: type[models.Model]
    alias_fk: str
    fields: list[str]
    save: Callable
    alias: Callable[[Any], dict]


CUSTOMER_MERGE = MergeKind(
    model=Customer,
    merge_model=CustomerMerge,
    alias_model=CustomerAlias,
    alias_fk="customer",
    fields=[*CUSTOMER_FIELDS, "owner"],
    save=lambda obj, user: save_customer(customer=obj, user=user),
    alias=lambda c: {"name": c.name, "number": c.number, "phone": c.phone, "email": c.email},
)
CONTACT_MERGE = MergeKind(
    model=Contact,
    merge_model=ContactMerge,
    alias_model=ContactAlias,
    alias_fk="contact",
    fields=CONTACT_FIELDS,
    save=lambda obj, user: save_contact(contact=obj, user=user),
    alias=lambda c: {"name": c.name, "phone": c.mobile or c.office_phone, "email": c.email},
)


def merge_kind(model_or_merge) -> MergeKind:
    for kind in (CUSTOMER_MERGE, CONTACT_MERGE):
        if model_or_merge in (kind.model, kind.merge_model) or isinstance(
            model_or_merge, kind.model | kind.merge_model
        ):
            return kind
    raise LookupError(model_or_merge)


def _attnames(kind: MergeKind, names) -> list[str]:
    return [kind.model._meta.get_field(n).attname for n in names]


def require_merge_permission(*, kind: MergeKind, user) -> None:
    """Merging needs the merge permission and the right to change the records' type; asked
    first, so a user without them learns nothing from the request's validation."""
    model = kind.model
    if not (
        user.has_perm(SpecialPermission.MERGE)
        and user.has_perm(f"customers.change_{model._meta.model_name}")
    ):
        raise PermissionDenied(_("You may not merge records."))


def check_merge(
    *,
    kind: MergeKind,
    survivor,
    others,
    user,
    values: dict[str, int] | None = None,
    versions: dict[int, int] | None = None,
) -> None:
    """Merging needs the merge permission, two or more live records the user may all edit,
    and — when the caller read them first — unchanged versions."""
    require_merge_permission(kind=kind, user=user)
    model = kind.model
    ids = [survivor.pk, *[o.pk for o in others]]
    if not others or len(set(ids)) != len(ids):
        raise ValidationError(_("Choose two or more different records to merge."))
    if model.objects.filter(pk__in=ids).count() != len(ids):
        raise ValidationError(_("A record to merge was deleted in the meantime."))
    if model.objects.editable_by(user).filter(pk__in=ids).count() != len(ids):
        raise PermissionDenied(_("You may not edit all of these records."))
    for name, source in (values or {}).items():
        if name not in kind.fields:
            raise ValidationError(_("“%(field)s” cannot be chosen in a merge.") % {"field": name})
        if source not in ids:
            raise ValidationError(_("A chosen value belongs to a record outside the merge."))
    if (values or {}).get("owner", survivor.pk) != survivor.pk and not user.has_perm(
        SpecialPermission.REASSIGN_OWNER
    ):
        raise PermissionDenied(_("Choosing another owner needs the reassign-owner permission."))
    for obj in model.objects.filter(pk__in=ids).only("pk", "version", "name"):
        if versions and obj.pk in versions and versions[obj.pk] != obj.version:
            raise ValidationError(
                _(
                    "%(object)s was changed by someone else after you opened the merge page. "
                    "Reload the page to see the current values, then merge again."
                )
                % {"object": obj},
                code="stale",
            )


def _snapshot(obj) -> dict[str, Any]:
    return {k: v for k, v in obj.audit_snapshot().items() if k not in ("deleted_at",)}


@transaction.atomic
def merge_records(kind: MergeKind, *, survivor, others, values, user, versions=None):
    check_merge(
        kind=kind, survivor=survivor, others=others, user=user, values=values, versions=versions
    )
    model = kind.model
    ids = [survivor.pk, *[o.pk for o in others]]
    locked = {o.pk: o for o in model.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    survivor = locked[survivor.pk]
    losers = [locked[o.pk] for o in others]
    loser_ids = [o.pk for o in losers]
    batch = uuid.uuid4().hex
    merge = kind.merge_model.objects.create(
        survivor=survivor,
        user=user,
        batch=batch,
        values=dict(values or {}),
        snapshot={
            "survivor": {str(survivor.pk): _snapshot(survivor)},
            "losers": {str(o.pk): _snapshot(o) for o in losers},
        },
    )
    merge.losers.set(losers)
    moved = records.move_related(model=model, sources=loser_ids, target=survivor.pk, keep=set(ids))
    for loser in losers:
        kind.alias_model.objects.create(
            **{kind.alias_fk: survivor, "merge": merge},
            **{k: v or "" for k, v in kind.alias(loser).items()},
        )
    records.soft_delete_queryset(
        model._base_manager.filter(pk__in=loser_ids), user=user, batch=batch, merged_into=merge.pk
    )
    changed = {}
    for name, source in (values or {}).items():
        if source == survivor.pk:
            continue
        names = [name, "department"] if name == "owner" else [name]
        for attname in _attnames(kind, names):
            value = getattr(locked[source], attname)
            if getattr(survivor, attname) != value:
                changed[attname] = value
                setattr(survivor, attname, value)
    for attname in ("parent_id", "reports_to_id"):  # never point at itself or a merged record
        if getattr(survivor, attname, None) in ids:
            setattr(survivor, attname, None)
    kind.save(survivor, user)
    AuditLog.record(
        survivor,
        AuditLog.Action.MERGE,
        {"merge": merge.pk, "losers": loser_ids, "fields": sorted(changed), "moved": len(moved)},
        user=user,
        batch=batch,
    )
    for loser in losers:
        AuditLog.record(
            loser,
            AuditLog.Action.MERGE,
            {"merge": merge.pk, "merged_into": survivor.pk},
            user=user,
            batch=batch,
        )
    merge.moved = moved
    merge.audit_mark = AuditLog.objects.aggregate(m=Max("id"))["m"] or 0
    merge.save(update_fields=["moved", "audit_mark"])
    records_merged.send(sender=model, survivor=survivor, losers=loser_ids, merge=merge)
    return merge


def merge_customers(
    *,
    survivor: Customer,
    others: list[Customer],
    values: dict[str, int],
    user,
    versions: dict[int, int] | None = None,
) -> CustomerMerge:
    """Merge ``others`` into ``survivor``: every related record moves to the survivor, the
    others' identifiers stay as aliases, and they go to the recycle bin pointing at the merge.

    ``values`` maps a field name to the pk of the record whose value survives (default: the
    survivor's); ``versions`` ({pk: version} as read by the caller) refuses stale merges.
    """
    return merge_records(
        CUSTOMER_MERGE,
        survivor=survivor,
        others=others,
        values=values,
        user=user,
        versions=versions,
    )


def merge_contacts(
    *,
    survivor: Contact,
    others: list[Contact],
    values: dict[str, int],
    user,
    versions: dict[int, int] | None = None,
) -> ContactMerge:
    """Merge contacts, like :func:`merge_customers`."""
    return merge_records(
        CONTACT_MERGE,
        survivor=survivor,
        others=others,
        values=values,
        user=user,
        versions=versions,
    )


def visible_snapshots(*, merges, user) -> dict[int, dict[str, dict]]:
    """Each merge's snapshot as ``user`` may read it (one query for all): only the records the
    user may see today — a record merged in from outside their scope is left out — and without
    the fields hidden from them. The stored snapshot stays whole for the undo."""
    merges = list(merges)
    if not merges:
        return {}
    kind = merge_kind(merges[0])
    ids = {
        int(pk)
        for m in merges
        for part in ("survivor", "losers")
        for pk in m.snapshot.get(part, {})
    }
    visible = {
        str(pk)
        for pk in kind.model.all_objects.visible_to(user)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    }
    from kehu.core.registry import get_object_type

    hidden = get_object_type(kind.model).hidden_for(user)
    hidden |= {f"{name}_id" for name in hidden}
    return {
        m.pk: {
            part: {
                pk: {k: v for k, v in values.items() if k not in hidden}
                for pk, values in m.snapshot.get(part, {}).items()
                if pk in visible
            }
            for part in ("survivor", "losers")
        }
        for m in merges
    }


def visible_snapshot(*, merge, user) -> dict[str, dict]:
    """One merge's snapshot as ``user`` may read it (see :func:`visible_snapshots`)."""
    return visible_snapshots(merges=[merge], user=user)[merge.pk]


def preview_undo_for(merge, *, user) -> UndoPreview:
    """:func:`preview_undo` as ``user`` may read it: moved records they may not see (moved on
    to a record outside their scope since) are listed by number only, without name or fields."""
    from django.apps import apps

    preview = preview_undo(merge)
    rows = preview.edited_moved + preview.elsewhere
    by_model: dict[str, set[int]] = {}
    for row in rows:
        by_model.setdefault(row["model"], set()).add(row["pk"])
    visible: set[tuple[str, int]] = set()
    for label, pks in by_model.items():
        related = apps.get_model(label)
        manager = getattr(related, "all_objects", None) or related._default_manager
        if not hasattr(manager, "visible_to"):
            visible.update((label, pk) for pk in pks)
            continue
        found = manager.visible_to(user).filter(pk__in=pks).values_list("pk", flat=True)
        visible.update((label, pk) for pk in found)
    for row in rows:
        if (row["model"], row["pk"]) not in visible:
            row["repr"] = f"#{row['pk']}"
            if "fields" in row:
                row["fields"] = []
    return preview


def may_undo(*, merge, user, preview: UndoPreview | None = None) -> bool:
    """Whether ``user`` may undo ``merge`` now (for the page's button)."""
    try:
        check_undo(merge=merge, user=user, preview=preview)
    except (PermissionDenied, ValidationError):
        return False
    return True


@dataclass
class UndoPreview:
    merge: Any
    #: survivor fields edited since the merge: kept as they are now
    kept: list[dict] = field(default_factory=list)
    #: survivor fields that return to their value before the merge
    restored: list[dict] = field(default_factory=list)
    #: moved records edited since the merge (they move back with the edits)
    edited_moved: list[dict] = field(default_factory=list)
    #: moved records no longer on the survivor (left where they are)
    elsewhere: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _display(field, value) -> str:
    if value in (None, ""):
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(field.to_python(value), value))
    if field.is_relation:
        obj = field.related_model._base_manager.filter(pk=value).first()
        return str(obj) if obj is not None else f"#{value}"
    return str(value)


def preview_undo(merge) -> UndoPreview:
    """What undoing ``merge`` will do, and the edits made since the merge that it keeps."""
    kind = merge_kind(merge)
    model = kind.model
    preview = UndoPreview(merge=merge)
    survivor = model._base_manager.get(pk=merge.survivor_id)
    if merge.undone_at:
        preview.problems.append(_("This merge was already undone."))
    if survivor.deleted_at:
        preview.problems.append(_("The surviving record is deleted; restore it first."))
    present = set(
        model._base_manager.filter(pk__in=merge.loser_ids, merged_into=merge.pk).values_list(
            "pk", flat=True
        )
    )
    if merge.loser_ids and len(present) != len(merge.loser_ids) and not merge.undone_at:
        preview.problems.append(
            _("A merged record was purged or restored otherwise; the merge cannot be undone.")
        )
    edited: dict[str, list] = {}
    for entry in AuditLog.for_object(survivor).filter(
        pk__gt=merge.audit_mark, action=AuditLog.Action.UPDATE
    ):
        for attname in entry.changes:
            edited.setdefault(attname, []).append(entry)
    before = merge.snapshot["survivor"][str(survivor.pk)]
    for name in kind.fields + (["department"] if "owner" in kind.fields else []):
        f = model._meta.get_field(name)
        if f.attname not in before:
            continue
        now = getattr(survivor, f.attname)
        row = {
            "field": name,
            "label": str(f.verbose_name),
            "before": _display(f, before[f.attname]),
            "now": _display(f, now),
        }
        if f.attname in edited:
            row["by"] = [(e.user, e.timestamp) for e in edited[f.attname]]
            preview.kept.append(row)
        elif f.to_python(before[f.attname]) != f.to_python(now):
            preview.restored.append(row)
    from django.apps import apps

    by_model: dict[str, list[dict]] = {}
    for row in merge.moved:
        preview.counts[row["model"]] = preview.counts.get(row["model"], 0) + 1
        if not row.get("m2m"):
            by_model.setdefault(row["model"], []).append(row)
    for label, rows in by_model.items():
        related = apps.get_model(label)
        objs = related._base_manager.in_bulk([row["pk"] for row in rows])
        ct = ContentType.objects.get_for_model(related, for_concrete_model=False)
        edits: dict[str, set[str]] = {}
        keys = [str(row["pk"]) for row in rows]
        for start in range(0, len(keys), 2000):
            later = (
                AuditLog.objects.filter(
                    content_type=ct,
                    object_id__in=keys[start : start + 2000],
                    pk__gt=merge.audit_mark,
                )
                .exclude(action=AuditLog.Action.CREATE)
                .values_list("object_id", "changes")
            )
            for object_id, changes in later:
                if isinstance(changes, dict):
                    edits.setdefault(object_id, set()).update(changes)
        for row in rows:
            obj = objs.get(row["pk"])
            if obj is None:
                preview.elsewhere.append({**row, "repr": f"#{row['pk']}", "gone": True})
                continue
            current = getattr(obj, related._meta.get_field(row["field"]).attname)
            if str(current) != str(merge.survivor_id):
                preview.elsewhere.append({**row, "repr": str(obj)})
                continue
            fields = sorted(edits.get(str(row["pk"]), ()))
            if fields:
                preview.edited_moved.append(
                    {
                        **row,
                        "repr": str(obj),
                        "name": str(related._meta.verbose_name),
                        "fields": [
                            str(related._meta.get_field(k.removesuffix("_id")).verbose_name)
                            if _has_field(related, k)
                            else k
                            for k in fields
                        ],
                    }
                )
    return preview


def _has_field(model, attname: str) -> bool:
    try:
        model._meta.get_field(attname.removesuffix("_id"))
    except Exception:
        return False
    return True


def check_undo(*, merge, user, preview: UndoPreview | None = None) -> None:
    """Undoing needs the merge right, edit access to the survivor and an intact merge."""
    kind = merge_kind(merge)
    if not user.has_perm(SpecialPermission.MERGE):
        raise PermissionDenied(_("You may not merge records."))
    records = kind.model.all_objects
    if not records.editable_by(user).filter(pk=merge.survivor_id).exists():
        raise PermissionDenied(_("You may not edit the surviving record."))
    # The undo brings the merged records back: each one must be the user's to edit.
    if (
        records.filter(pk__in=merge.loser_ids)
        .exclude(pk__in=records.editable_by(user).values("pk"))
        .exists()
    ):
        raise PermissionDenied(_("You may not edit every record the undo would bring back."))
    problems = (preview or preview_undo(merge)).problems
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def undo_merge(*, merge, user):
    """Undo a merge: the merged records come back as they were, related records still on the
    survivor return to their original record, the survivor gets its values from before the merge
    back except fields edited since (kept), and the aliases the merge created go."""
    kind = merge_kind(merge)
    model = kind.model
    merge = type(merge).objects.select_for_update().get(pk=merge.pk)
    preview = preview_undo(merge)
    check_undo(merge=merge, user=user, preview=preview)
    survivor = model.objects.select_for_update().get(pk=merge.survivor_id)
    before = merge.snapshot["survivor"][str(survivor.pk)]
    restored = []
    for row in preview.restored:
        f = model._meta.get_field(row["field"])
        setattr(survivor, f.attname, f.to_python(before[f.attname]))
        restored.append(row["field"])
    if restored:
        kind.save(survivor, user)
    batch = uuid.uuid4().hex
    loser_ids = merge.loser_ids
    losers = list(model._base_manager.filter(pk__in=loser_ids).order_by("pk"))
    for loser in losers:
        loser.deleted_at = None
        loser.merged_into = None
        try:
            loser.validate_constraints()
        except ValidationError as exc:
            raise ValidationError(
                _("%(object)s cannot come back: %(reason)s")
                % {"object": loser, "reason": " ".join(exc.messages)}
            ) from exc
    AuditLog.objects.bulk_create(
        [
            AuditLog.build(
                loser, AuditLog.Action.RESTORE, {"undo_merge": merge.pk}, user=user, batch=batch
            )
            for loser in losers
        ]
    )
    with audited_write():  # the RESTORE entries above are the audit record
        model._base_manager.filter(pk__in=loser_ids).update(
            deleted_at=None,
            deleted_by=None,
            merged_into=None,
            version=F("version") + 1,
            updated_at=timezone.now(),
            updated_by=user,
        )
    back, elsewhere = records.move_back(moved=merge.moved, target=survivor.pk)
    kind.alias_model.objects.filter(merge=merge).delete()
    refresh_search_index(model, pks=[survivor.pk], fields=())  # the old names find it no more
    if model is Customer:
        for loser in model.objects.filter(pk__in=loser_ids):
            _sync_contact_owners(loser)
    merge.undone_at = timezone.now()
    merge.undone_by = user
    merge.save(update_fields=["undone_at", "undone_by"])
    AuditLog.record(
        survivor,
        AuditLog.Action.RESTORE,
        {
            "undo_merge": merge.pk,
            "restored": loser_ids,
            "fields_restored": restored,
            "edits_kept": [row["field"] for row in preview.kept],
            "moved_back": back,
        },
        user=user,
        batch=batch,
    )
    merge_undone.send(sender=model, survivor=survivor, restored=loser_ids, merge=merge)
    return merge


# --- Erasure of personal data (PIPL/GDPR) -------------------------------------------------------

ERASED = "[erased]"
#: model label -> fn(*, record, values, user) -> number of rows changed. ``record`` is the
#: customer or contact whose personal data is erased, ``values`` the strings being erased.
ERASURE_HOOKS: dict[str, Callable[..., int]] = registry.hook("erasure")


def register_erasure(model_label: str, fn: Callable[..., int]) -> None:
    """Let a module scrub the erased person's values from its own records' text (activity notes,
    e-mail bodies …); ``fn(record=..., values=[...], user=...)`` returns the rows it changed."""
    ERASURE_HOOKS[model_label] = fn


#: Personal fields and their erased value (a callable takes the record).
PERSONAL_FIELDS: dict[type, dict[str, Any]] = {
    Contact: {
        "name": lambda obj: f"{_('Erased person')} {obj.pk}",
        "gender": Contact.Gender.UNKNOWN,
        "birthday": None,
        "office_phone": "",
        "mobile": "",
        "email": "",
        "home_phone": "",
        "fax_im": "",
        "hobbies": "",
        "notes": "",
    },
    Customer: {
        "name": lambda obj: f"{_('Erased person')} {obj.pk}",
        "mnemonic": "",
        "phone": "",
        "fax": "",
        "email": "",
        "address": "",
        "postcode": "",
        "website": "",
        "finance_contact": "",
        "finance_phone": "",
        "notes": "",
    },
}


def check_erasure(*, record, user, reason: str) -> None:
    """Erasure needs its own special permission, edit access to the record, a person (a contact
    or an individual customer) and a stated reason (the request it answers)."""
    model = type(record)
    if model not in PERSONAL_FIELDS:
        raise ValidationError(_("Only contacts and individual customers hold personal data."))
    if not user.has_perm(SpecialPermission.ERASE_PERSONAL_DATA):
        raise PermissionDenied(_("You may not erase personal data."))
    if not model.all_objects.editable_by(user).filter(pk=record.pk).exists():
        raise PermissionDenied(_("You may not edit this record."))
    if model is Customer and record.kind != Customer.Kind.INDIVIDUAL:
        raise ValidationError(
            _("Only individual customers hold personal data; erase their contacts instead.")
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": _("State the request this erasure answers.")})


def _scrub(value, values: set[str]):
    if isinstance(value, str) and value in values:
        return ERASED
    if isinstance(value, list):
        return [_scrub(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, values) for k, v in value.items()}
    return value


@transaction.atomic
def erase_personal_data(*, record, user, reason: str) -> dict:
    """Anonymise a person's fields and scrub the same values from the record's audit trail, its
    aliases and merge snapshots, and (through ``register_erasure`` hooks) other records' text.
    Aggregates stay: the record, its links, counts and amounts are untouched. The erasure is
    audited with who, when, why and which fields — never the values."""
    check_erasure(record=record, user=user, reason=reason)
    model = type(record)
    record = model._base_manager.select_for_update().get(pk=record.pk)
    spec = PERSONAL_FIELDS[model]
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for name, erased in spec.items():
        f = model._meta.get_field(name)
        value = getattr(record, f.attname)
        target = erased(record) if callable(erased) else erased
        if value not in (None, "") and value != target:
            old[f.attname] = value
            new[f.attname] = target
    values = {str(v) for v in old.values() if isinstance(v, str) and len(v.strip()) >= 2}
    values |= {str(v) for v in old.values() if not isinstance(v, str) and v is not None}
    if new:
        with audited_write():  # the ERASE entry below records it, without the values
            model._base_manager.filter(pk=record.pk).update(
                **new, version=F("version") + 1, updated_at=timezone.now(), updated_by=user
            )
        # The search columns hold the name, phones and e-mail too.
        refresh_search_index(model, pks=[record.pk])
    erased_names = set(old)
    # The audit trail of the record: the values of those fields, and the same strings anywhere.
    ct = ContentType.objects.get_for_model(model, for_concrete_model=False)
    entries = list(AuditLog.objects.filter(content_type=ct, object_id=str(record.pk)))
    new_name = new.get("name", record.name)
    for entry in entries:
        changes = entry.changes
        if isinstance(changes, dict):
            changes = {
                k: (
                    [ERASED if x not in (None, "") else x for x in v]
                    if isinstance(v, list)
                    else ERASED
                )
                if k in erased_names
                else _scrub(v, values)
                for k, v in changes.items()
            }
        entry.changes = changes
        entry.object_repr = str(new_name)[:200]
    AuditLog.objects.bulk_update(entries, ["changes", "object_repr"], batch_size=500)
    # Aliases and merge snapshots holding the values.
    alias_model, merge_model = (
        (ContactAlias, ContactMerge) if model is Contact else (CustomerAlias, CustomerMerge)
    )
    fk = "contact" if model is Contact else "customer"
    aliases = 0
    for alias in alias_model.objects.filter(**{fk: record.pk}):
        alias.delete()
        aliases += 1
    for name in ("name", "phone", "email"):
        stale = alias_model.objects.filter(**{f"{name}__in": list(values)})
        aliases += stale.update(**{name: ERASED})
    involved = Q(survivor_id=record.pk) | Q(losers__id=record.pk)
    for merge in merge_model.objects.filter(involved).distinct():
        snapshot = merge.snapshot
        changed = False
        for role in ("survivor", "losers"):
            snap = snapshot.get(role, {}).get(str(record.pk))
            if snap is not None:
                for attname in erased_names:
                    if snap.get(attname) not in (None, ""):
                        snap[attname] = ERASED
                        changed = True
        if changed:
            merge.save(update_fields=["snapshot"])
    related = {
        label: fn(record=record, values=sorted(values), user=user)
        for label, fn in ERASURE_HOOKS.items()
    }
    record.refresh_from_db()
    AuditLog.record(
        record,
        AuditLog.Action.ERASE,
        {
            "fields": sorted(erased_names),
            "reason": reason.strip(),
            "audit_records": len(entries),
            "aliases": aliases,
            "related": related,
        },
        user=user,
    )
    return {"fields": sorted(erased_names), "audit_records": len(entries), "related": related}
