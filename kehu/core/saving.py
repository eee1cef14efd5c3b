"""One save path per object type: the create/update/delete actions every writer calls.

An object type declares its actions once (``ObjectType.actions``, an :class:`ObjectActions`);
the generic edit and delete views, the bulk delete, the API viewsets and the importers call
them, so a business rule held by an action cannot be bypassed by one route that forgot it.
A type without special rules gets the framework's audited defaults (``default_actions``).

The convention, keyword-only and transactional::

    create(*, user, data: dict) -> obj
    update(*, user, obj, data: dict, version: int | None = None) -> obj
    delete(*, user, obj, **options) -> None
    bulk_delete(*, user, queryset) -> int

``data`` maps model field names to values (many-to-many fields included) plus any extra key the
type's action reads itself (declared with ``extra=`` in :func:`record_actions`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from .errors import StaleObjectError


@dataclass(frozen=True)
class ObjectActions:
    """The write actions of one object type; ``None`` leaves the framework default."""

    create: Callable[..., models.Model] | None = None
    update: Callable[..., models.Model] | None = None
    delete: Callable[..., None] | None = None
    #: Several records at once; by default the audited bulk delete when ``delete`` is the
    #: framework's, otherwise ``delete`` for each record (so its rules apply to every one).
    bulk_delete: Callable[..., int] | None = None
    #: Imports write a batch of rows at once: ``import_create(objs, ctx)`` for new records,
    #: ``import_update(objs, fields, ctx)`` for changed ones (``ctx``: the import run's context,
    #: with its audit ``batch``). By default the audited bulk insert and save; a type whose
    #: creation has rules (numbers, mnemonic codes) declares its own. The importer never writes
    #: by itself.
    import_create: Callable[[list, Any], None] | None = None
    import_update: Callable[[list, list[str], Any], None] | None = None


def default_import_create(model: type[models.Model]) -> Callable[[list, Any], None]:
    def import_create(objs: list, ctx) -> None:
        from .audit import audited_bulk_create

        audited_bulk_create(model, objs, batch=getattr(ctx, "batch", None), fast=True)

    import_create.__qualname__ = f"import_create_{model._meta.model_name}"
    return import_create


def default_import_update(objs: list, fields: list[str], ctx) -> None:
    from .audit import audited_bulk_save

    audited_bulk_save(objs, fields, batch=getattr(ctx, "batch", None))


def check_version(obj: models.Model, version: int | None) -> None:
    """The update is based on ``version``: refuse it when someone saved since (the save itself
    is conditional on it too, ``BaseModel.save``)."""
    if version is None or not hasattr(obj, "version"):
        return
    if version != obj.version:
        raise StaleObjectError(obj)
    obj.version = version


def apply_data(obj: models.Model, data: dict, *, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """Set the concrete model fields of ``data`` on ``obj``; return the many-to-many values and
    the ``extra`` keys for the caller. Any other key is a programming error (``TypeError``):
    a value silently dropped would be lost."""
    opts = obj._meta
    concrete = {f.name for f in opts.concrete_fields} | {f.attname for f in opts.concrete_fields}
    many = {f.name for f in opts.many_to_many}
    rest: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("version", "id", "pk"):
            continue
        if key in extra or key in many:  # an extra may share a field's name (``password``)
            rest[key] = value
        elif key in concrete:
            setattr(obj, key, value)
        else:
            raise TypeError(f"{opts.label}: no field or action argument {key!r}")
    return rest


def _set_many(obj: models.Model, rest: dict[str, Any]) -> None:
    for f in obj._meta.many_to_many:
        if f.name in rest:
            getattr(obj, f.name).set(rest[f.name])


def _clean(obj: models.Model, data: dict) -> None:
    """``full_clean`` of the fields given (the others are the model's defaults or set by the
    framework, e.g. ``created_by``), as a model form does."""
    given = set(data)
    exclude = [
        f.name for f in obj._meta.concrete_fields if f.name not in given and f.attname not in given
    ]
    obj.full_clean(exclude=exclude)


@transaction.atomic
def create_object(*, model: type[models.Model], user, data: dict) -> models.Model:
    """The framework's create: fields from ``data``, ``full_clean``, an audited save."""
    obj = model()
    rest = apply_data(obj, data)
    _clean(obj, data)
    obj.save()
    _set_many(obj, rest)
    return obj


@transaction.atomic
def update_object(*, user, obj: models.Model, data: dict, version: int | None = None):
    """The framework's update: the version checked, fields from ``data``, ``full_clean``,
    an audited save conditional on the version."""
    check_version(obj, version)
    rest = apply_data(obj, data)
    _clean(obj, data)
    obj.save()
    _set_many(obj, rest)
    return obj


@transaction.atomic
def delete_object(*, user, obj: models.Model) -> None:
    """The framework's delete: soft for ``SoftDeleteModel`` records, audited either way."""
    from .audit import delete_record

    delete_record(obj=obj, user=user)


def bulk_delete_objects(*, user, queryset: models.QuerySet) -> int:
    """The framework's bulk delete: all or nothing, every row audited."""
    from .audit import audited_bulk_delete

    return audited_bulk_delete(queryset)


def each_deleted(delete: Callable[..., None]) -> Callable[..., int]:
    """A bulk delete that applies a type's own ``delete`` action to every record, all or
    nothing: its rules (records still in use …) hold for bulk deletes too."""

    @transaction.atomic
    def bulk_delete(*, user, queryset: models.QuerySet) -> int:
        n = 0
        for obj in queryset:
            delete(user=user, obj=obj)
            n += 1
        return n

    return bulk_delete


#: The registry's hook store of write guards: ``guard(*, model, pks, action)`` is called before
#: records of any type are changed or deleted through its actions (``action``: "update",
#: "delete"); it raises ``ValidationError`` to refuse (a record locked while an approval is
#: pending). Layers above register theirs (``registry.hook(WRITE_GUARDS).add(key, guard)``).
WRITE_GUARDS = "write_guard"


def guard_writes(*, model: type[models.Model], pks, action: str) -> None:
    """Ask every registered write guard whether records ``pks`` of ``model`` may be written."""
    from .stores import registry

    guards = registry.hooks.get(WRITE_GUARDS)
    if not guards:
        return
    pks = [pk for pk in pks if pk is not None]
    if not pks:
        return
    for guard in list(guards.values()):
        guard(model=model, pks=pks, action=action)


def _guarded(model: type[models.Model], actions: ObjectActions) -> ObjectActions:
    """The actions with the write guards asked first (update, delete, bulk delete, import
    update): one rule for every route that writes a record of any type."""
    update, delete, bulk = actions.update, actions.delete, actions.bulk_delete
    import_update = actions.import_update

    def guarded_update(*, user, obj, data, version=None):
        guard_writes(model=model, pks=[obj.pk], action="update")
        return update(user=user, obj=obj, data=data, version=version)

    def guarded_delete(*, user, obj, **options):
        guard_writes(model=model, pks=[obj.pk], action="delete")
        return delete(user=user, obj=obj, **options)

    def guarded_bulk_delete(*, user, queryset):
        guard_writes(model=model, pks=list(queryset.values_list("pk", flat=True)), action="delete")
        return bulk(user=user, queryset=queryset)

    def guarded_import_update(objs, fields, ctx):
        guard_writes(model=model, pks=[o.pk for o in objs], action="update")
        return import_update(objs, fields, ctx)

    for fn, inner in (
        (guarded_update, update),
        (guarded_delete, delete),
        (guarded_bulk_delete, bulk),
        (guarded_import_update, import_update),
    ):
        fn.__qualname__ = getattr(inner, "__qualname__", fn.__qualname__)
        fn.__wrapped__ = inner
    return ObjectActions(
        create=actions.create,
        update=guarded_update,
        delete=guarded_delete,
        bulk_delete=guarded_bulk_delete,
        import_create=actions.import_create,
        import_update=guarded_import_update,
    )


def default_actions(model: type[models.Model], declared: ObjectActions | None) -> ObjectActions:
    """The declared actions, with the framework's default for each one left out, and the
    registered write guards asked before every update and delete (:func:`guard_writes`)."""
    declared = declared or ObjectActions()
    delete = declared.delete or delete_object
    bulk = declared.bulk_delete
    if bulk is None:
        bulk = bulk_delete_objects if declared.delete is None else each_deleted(delete)
    return _guarded(
        model,
        ObjectActions(
            create=declared.create or functools.partial(create_object, model=model),
            update=declared.update or update_object,
            delete=delete,
            bulk_delete=bulk,
            import_create=declared.import_create or default_import_create(model),
            import_update=declared.import_update or default_import_update,
        ),
    )


def record_actions(
    model: type[models.Model],
    save: Callable[..., models.Model],
    *,
    extra: tuple[str, ...] = (),
    delete: Callable[..., None] | None = None,
    bulk_delete: Callable[..., int] | None = None,
    import_create: Callable[[list, Any], None] | None = None,
    import_update: Callable[[list, list[str], Any], None] | None = None,
) -> ObjectActions:
    """Create and update for a type whose rules live in one save function of its app,
    ``save(obj, *, user, **extras)`` (the adapter names the app's own arguments): the instance
    is filled from ``data`` (the version checked first on update), many-to-many fields and the
    ``extra`` keys go to ``save`` as keyword arguments."""

    @transaction.atomic
    def create(*, user, data: dict) -> models.Model:
        obj = model()
        rest = apply_data(obj, data, extra=extra)
        return save(obj, user=user, **rest)

    @transaction.atomic
    def update(*, user, obj: models.Model, data: dict, version: int | None = None):
        check_version(obj, version)
        rest = apply_data(obj, data, extra=extra)
        return save(obj, user=user, **rest)

    create.__qualname__ = f"create_{model._meta.model_name}"
    update.__qualname__ = f"update_{model._meta.model_name}"
    return ObjectActions(
        create=create,
        update=update,
        delete=delete,
        bulk_delete=bulk_delete,
        import_create=import_create,
        import_update=import_update,
    )
