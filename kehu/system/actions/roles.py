"""Roles and permissions: the default roles, the role editor's single save, and record shares."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.audit import audited_write
from kehu.core.errors import StaleObjectError
from kehu.core.models import AuditLog
from kehu.core.permissions import DataScope, SpecialPermission

from ..models import Department, DictionaryItem, RecordShare, Role, RoleDataScope, User

CRUD = ("view", "add", "change", "delete")


class DefaultRole:
    ADMINISTRATOR = "administrator"
    DIRECTOR = "director"
    BRANCH_MANAGER = "branch_manager"
    SALES_MANAGER = "sales_manager"
    SALESPERSON = "salesperson"
    SERVICE_AGENT = "service_agent"


# name, view scope, edit scope, functional actions on business objects, special permissions
DEFAULT_ROLES = {
    DefaultRole.ADMINISTRATOR: (_("Administrator"), DataScope.ALL, DataScope.ALL, CRUD, "*"),
    DefaultRole.DIRECTOR: (
        _("Director"),
        DataScope.ALL,
        DataScope.SUBTREE,
        ("view", "change"),
        ("export_data", "see_cost", "view_audit", "share_saved_views"),
    ),
    DefaultRole.BRANCH_MANAGER: (
        _("Branch manager"),
        DataScope.SUBTREE,
        DataScope.SUBTREE,
        CRUD,
        (
            "export_data",
            "import_data",
            "merge_records",
            "reassign_owner",
            "hand_over_books",
            "see_cost",
            "view_audit",
            "share_saved_views",
        ),
    ),
    DefaultRole.SALES_MANAGER: (
        _("Sales manager"),
        DataScope.DEPARTMENT,
        DataScope.DEPARTMENT,
        CRUD,
        (
            "export_data",
            "import_data",
            "merge_records",
            "reassign_owner",
            "hand_over_books",
            "share_saved_views",
        ),
    ),
    DefaultRole.SALESPERSON: (
        _("Salesperson"),
        DataScope.OWN,
        DataScope.OWN,
        ("view", "add", "change"),
        (),
    ),
    DefaultRole.SERVICE_AGENT: (_("Service agent"), DataScope.ALL, DataScope.OWN, ("view",), ()),
}


#: Functional actions a default role has on one module's models on top of its general ones: a
#: service agent reads everything but works (adds, changes) service records.
MODULE_ACTIONS = {DefaultRole.SERVICE_AGENT: {"service": ("view", "add", "change")}}


def business_apps() -> tuple[str, ...]:
    """The business modules (every registered module but set-up), in navigation order: their
    models' permissions go to the default roles, so a new module needs no edit here."""
    from kehu.core.registry import navigation

    return tuple(m.key for m in navigation() if m.key != "system")


def permission_modules() -> tuple[str, ...]:
    """Modules of the role editor's permission matrix, in display order."""
    return (*business_apps(), "system")


#: Reference data every role may read: salespeople must see products and prices (cost stays
#: hidden by SEE_COST), departments and holidays.
REFERENCE_MODELS = (
    "product",
    "productcategory",
    "pricelistitem",
    "dictionaryitem",
    "department",
    "holiday",
)


@transaction.atomic
def ensure_default_roles() -> dict[str, Role]:
    """Create (or complete) the standard roles; idempotent, safe on every start."""
    business = Permission.objects.filter(content_type__app_label__in=business_apps())
    specials = Permission.objects.filter(
        content_type__app_label="system", content_type__model="role"
    )
    reference = list(
        Permission.objects.filter(
            content_type__app_label="system",
            content_type__model__in=REFERENCE_MODELS,
            codename__startswith="view_",
        )
    )
    roles = {}
    for code, (name, view, edit, actions, special) in DEFAULT_ROLES.items():
        role, _created = Role.objects.get_or_create(
            name=str(code),
            defaults={
                "description": str(name),
                "default_view_scope": view,
                "default_edit_scope": edit,
            },
        )
        perms = list(business.filter(codename__regex=rf"^({'|'.join(actions)})_")) + reference
        for app, extra in MODULE_ACTIONS.get(code, {}).items():
            perms += list(
                business.filter(
                    content_type__app_label=app, codename__regex=rf"^({'|'.join(extra)})_"
                )
            )
        if special == "*":
            perms += list(Permission.objects.all())
        else:
            perms += list(specials.filter(codename__in=special))
        if code == DefaultRole.ADMINISTRATOR:
            perms += list(specials.filter(codename=SpecialPermission.MANAGE_USERS.split(".")[1]))
        role.permissions.add(*perms)
        roles[code] = role
    return roles


def setup_is_default(counts: dict[str, int]) -> bool:
    """True when the roles are the default ones and nobody added or edited a dictionary entry
    after migrate installed the defaults (``counts``: rows per model label, from the backup)."""
    defaults = [str(code) for code in DEFAULT_ROLES]
    if counts.get("system.Role") and Role.objects.exclude(name__in=defaults).exists():
        return False
    edited = DictionaryItem.objects.exclude(created_by=None)
    return not (counts.get("system.DictionaryItem") and edited.exists())


def set_role_scope(
    *, role: Role, object_type: str, view: DataScope, edit: DataScope
) -> RoleDataScope:
    """Set one data-scope override; an edit scope wider than the view scope is narrowed to it."""
    if DataScope.rank(edit) > DataScope.rank(view):
        edit = view
    scope, _c = RoleDataScope.objects.update_or_create(
        role=role, object_type=object_type, defaults={"view_scope": view, "edit_scope": edit}
    )
    return scope


def owned_object_types() -> list:
    """Registered object types whose records belong to people and carry their own data scope
    (contacts follow their customer's scope, so they get no separate setting)."""
    from kehu.core.registry import registry

    return [
        ot
        for ot in registry.values()
        if ot.model.owner_path is not None
        and getattr(ot.model, "data_scope_label", None) in (None, ot.label)
    ]


def permission_key(perm: Permission) -> str:
    return f"{perm.content_type.app_label}.{perm.codename}"


def _permissions_by_key(keys: set[str]) -> dict[str, Permission]:
    found: dict[str, Permission] = {}
    apps = {k.split(".", 1)[0] for k in keys if "." in k}
    for perm in Permission.objects.filter(content_type__app_label__in=apps).select_related(
        "content_type"
    ):
        key = permission_key(perm)
        if key in keys:
            found[key] = perm
    return found


@transaction.atomic
def save_role(*, role: Role, actor) -> Role:
    """Create or rename a role; its permissions change only through update_role_permissions."""
    if DataScope.rank(role.default_edit_scope) > DataScope.rank(role.default_view_scope):
        raise ValidationError(
            {"default_edit_scope": _("The edit scope cannot be wider than the view scope.")}
        )
    role.full_clean()
    role.save()
    return role


@transaction.atomic
def delete_role(*, role: Role, actor) -> None:
    """Delete a role nobody holds: removing a held role would silently take rights away."""
    if role.users.exists() or role.departments.exists():
        raise ValidationError(
            _("The role is still held by employees or departments; remove them from it first."),
            code="in_use",
        )
    role.delete()


@transaction.atomic
def update_role_permissions(
    *,
    role: Role,
    permissions: set[str],
    scopes: dict[str, tuple[str, str]],
    default_view: str,
    default_edit: str,
    department_ids: set[int] | list[int],
    user_ids: set[int] | list[int],
    actor,
    version: int | None = None,
) -> dict:
    """Write everything the role editor shows in one transaction and one PERMISSION audit entry.

    ``permissions`` is the complete set ("app.codename"); ``scopes`` the complete set of
    per-object-type overrides (types left out fall back to the role's defaults). A stale
    ``version`` is refused. Returns the recorded diff.
    """
    errors: dict[str, list] = {}
    valid_scopes = {c.value for c in DataScope}
    if default_view not in valid_scopes or default_edit not in valid_scopes:
        raise ValidationError(_("Unknown data scope."))
    if DataScope.rank(default_edit) > DataScope.rank(default_view):
        errors["default_edit"] = [_("The edit scope cannot be wider than the view scope.")]
    owned = {ot.label for ot in owned_object_types()}
    for label, (view, edit) in scopes.items():
        if label not in owned or view not in valid_scopes or edit not in valid_scopes:
            raise ValidationError(_("Unknown data scope."))
        if DataScope.rank(edit) > DataScope.rank(view):
            errors[f"edit__{label}"] = [_("The edit scope cannot be wider than the view scope.")]
    wanted = _permissions_by_key(set(permissions))
    unknown = set(permissions) - set(wanted)
    if unknown:
        errors["permissions"] = [
            _("Unknown permissions: %(names)s") % {"names": ", ".join(sorted(unknown))}
        ]
    departments = list(Department.objects.filter(pk__in=set(department_ids)))
    users = list(User.objects.filter(pk__in=set(user_ids)))
    if len(departments) != len(set(department_ids)):
        errors["departments"] = [_("Unknown department.")]
    if len(users) != len(set(user_ids)):
        errors["users"] = [_("Unknown employee.")]
    if errors:
        raise ValidationError(errors)

    # Conditional on the version the editor loaded; no BaseModel.save so the one PERMISSION
    # entry below is the whole audit record of this change.
    expected = role.version if version is None else version
    with audited_write():
        updated = Role.objects.filter(pk=role.pk, version=expected).update(
            default_view_scope=default_view,
            default_edit_scope=default_edit,
            version=F("version") + 1,
            updated_at=timezone.now(),
            updated_by=actor,
        )
    if not updated:
        raise StaleObjectError(role)
    old_view, old_edit = role.default_view_scope, role.default_edit_scope
    role.refresh_from_db()

    diff: dict = {}
    current = {permission_key(p): p for p in role.permissions.select_related("content_type")}
    added = sorted(set(wanted) - set(current))
    removed = sorted(set(current) - set(wanted))
    if added:
        role.permissions.add(*(wanted[k] for k in added))
    if removed:
        role.permissions.remove(*(current[k] for k in removed))
    if added or removed:
        diff["permissions"] = {"added": added, "removed": removed}

    if (old_view, old_edit) != (default_view, default_edit):
        diff["default_scope"] = [[old_view, old_edit], [default_view, default_edit]]

    existing = {s.object_type: s for s in role.data_scopes.all()}
    scope_changes = {}
    for label, scope in existing.items():
        if label not in scopes:
            scope_changes[label] = [[scope.view_scope, scope.edit_scope], None]
            scope.delete()
    for label, (view, edit) in scopes.items():
        old = existing.get(label)
        if old is None:
            RoleDataScope.objects.create(
                role=role, object_type=label, view_scope=view, edit_scope=edit
            )
            scope_changes[label] = [None, [view, edit]]
        elif (old.view_scope, old.edit_scope) != (view, edit):
            scope_changes[label] = [[old.view_scope, old.edit_scope], [view, edit]]
            old.view_scope, old.edit_scope = view, edit
            old.save(update_fields=["view_scope", "edit_scope"])
    if scope_changes:
        diff["scopes"] = scope_changes

    old_depts = {d.pk: d for d in role.departments.all()}
    new_depts = {d.pk: d for d in departments}
    if set(old_depts) != set(new_depts):
        role.departments.set(departments)
        diff["departments"] = {
            "added": sorted(str(new_depts[k]) for k in set(new_depts) - set(old_depts)),
            "removed": sorted(str(old_depts[k]) for k in set(old_depts) - set(new_depts)),
        }
    old_users = {u.pk: u for u in role.users.all()}
    new_users = {u.pk: u for u in users}
    if set(old_users) != set(new_users):
        role.users.set(users)
        diff["users"] = {
            "added": sorted(new_users[k].username for k in set(new_users) - set(old_users)),
            "removed": sorted(old_users[k].username for k in set(old_users) - set(new_users)),
        }
    AuditLog.record(role, AuditLog.Action.PERMISSION, diff, user=actor)
    return diff


def _target_label(user, department) -> str:
    return f"user:{user.username}" if user is not None else f"department:{department}"


def may_share(obj, actor) -> bool:
    """Sharing (and withdrawing a share) needs the record through the actor's own rights —
    ownership or their roles' edit scope, never a share — so an edit share is never passed on
    and no share grants more than the sharer holds."""
    model = type(obj)
    if model.owner_path is None:
        return False
    return (
        model.objects.filter(pk=obj.pk, **{model.owner_path: actor.pk}).exists()
        or model.objects.editable_by(actor, shares=False).filter(pk=obj.pk).exists()
    )


def _require_editable(obj, actor) -> None:
    if type(obj).owner_path is None:
        raise ValidationError(_("Only records that belong to people can be shared."))
    if not may_share(obj, actor):
        raise PermissionDenied(_("You may share only records you may edit yourself."))


def share_targets(actor) -> tuple[QuerySet[User], QuerySet[Department]]:
    """Whom ``actor`` may share records with: everyone if they may see the employees (the
    employee pages' view permission), else the colleagues of their own department and the
    departments below it — never the whole company for a salesperson."""
    users = User.objects.filter(is_active=True)
    departments = Department.objects.active()
    if actor.is_superuser or actor.has_perm("system.view_user"):
        return users, departments
    if actor.department_id is None:
        return users.none(), departments.none()
    path = Department.objects.only("path").get(pk=actor.department_id).path
    return (
        users.filter(department__path__startswith=path),
        departments.filter(path__startswith=path),
    )


#: The kind of the inbox notice that asks a record's owner for a share (the create forms'
#: company-wide duplicate check); its ``dedupe_key`` is ``share_request_key(...)``.
SHARE_REQUEST = "share_request"


def share_request_key(obj, requester_id: int) -> str:
    return f"share-request:{obj._meta.label_lower}:{obj.pk}:{requester_id}"


def share_requesters(obj, actor) -> list[int]:
    """Ids of the colleagues who asked ``actor`` to share ``obj`` with them (their notices in
    ``actor``'s inbox): the owner may share the record with them even beyond the colleagues
    they may otherwise pick, because they asked for this very record."""
    from kehu.core.models import Notification

    prefix = share_request_key(obj, 0)[:-1]
    keys = Notification.objects.filter(
        recipient=actor, kind=SHARE_REQUEST, dedupe_key__startswith=prefix
    ).values_list("dedupe_key", flat=True)
    return [int(k[len(prefix) :]) for k in keys if k[len(prefix) :].isdigit()]


def _require_target(actor, user: User | None, department: Department | None, obj=None) -> None:
    users, departments = share_targets(actor)
    asked = obj is not None and user is not None and user.pk in share_requesters(obj, actor)
    if user is not None and not asked and not users.filter(pk=user.pk).exists():
        raise ValidationError(
            {"user": _("You may share only with colleagues you may see.")}, code="target"
        )
    if department is not None and not departments.filter(pk=department.pk).exists():
        raise ValidationError(
            {"department": _("You may share only with your department or one below it.")},
            code="target",
        )


@transaction.atomic
def share_record(
    *, obj, user: User | None = None, department: Department | None = None, can_edit=False, actor
) -> RecordShare:
    """Share a record with a user or a department beyond their data scope.

    Only someone who may edit the record through their own roles or as its owner may share it
    (``may_share``), with colleagues they may see (``share_targets``), so sharing never widens
    what the sharer could do themselves. Sharing again with the same target updates
    ``can_edit``.
    """
    if (user is None) == (department is None):
        raise ValidationError(_("Share with either an employee or a department."))
    _require_editable(obj, actor)
    _require_target(actor, user, department, obj)
    ct = ContentType.objects.get_for_model(type(obj))
    share = RecordShare.objects.filter(
        content_type=ct, object_id=obj.pk, user=user, department=department
    ).first()
    if share is None:
        share = RecordShare(
            content_type=ct, object_id=obj.pk, user=user, department=department, can_edit=can_edit
        )
        share.save()
    elif share.can_edit != can_edit:
        share.can_edit = can_edit
        share.save(update_fields=["can_edit"])
    AuditLog.record(
        obj,
        AuditLog.Action.PERMISSION,
        {"shared_with": _target_label(user, department), "can_edit": can_edit},
        user=actor,
    )
    return share


@transaction.atomic
def unshare_record(*, share: RecordShare, actor) -> None:
    """Withdraw a share; the same rule as sharing: only someone who may edit the record."""
    model = share.content_type.model_class()
    obj = model.objects.filter(pk=share.object_id).first()
    if obj is None:
        share.delete()
        return
    _require_editable(obj, actor)
    target = _target_label(share.user, share.department)
    share.delete()
    AuditLog.record(obj, AuditLog.Action.PERMISSION, {"unshared_with": target}, user=actor)


__all__ = [
    "CRUD",
    "business_apps",
    "DEFAULT_ROLES",
    "permission_modules",
    "DefaultRole",
    "delete_role",
    "ensure_default_roles",
    "owned_object_types",
    "save_role",
    "set_role_scope",
    "may_share",
    "setup_is_default",
    "SHARE_REQUEST",
    "share_record",
    "share_request_key",
    "share_requesters",
    "share_targets",
    "unshare_record",
    "update_role_permissions",
]
