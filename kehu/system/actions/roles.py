"""Roles and permissions: the default roles and data scopes."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from kehu.core.permissions import DataScope

from ..models import Role, RoleDataScope

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
        ("export_data", "see_cost", "view_audit"),
    ),
    DefaultRole.BRANCH_MANAGER: (
        _("Branch manager"),
        DataScope.SUBTREE,
        DataScope.SUBTREE,
        CRUD,
        ("export_data", "import_data", "merge_records", "reassign_owner", "see_cost", "view_audit"),
    ),
    DefaultRole.SALES_MANAGER: (
        _("Sales manager"),
        DataScope.DEPARTMENT,
        DataScope.DEPARTMENT,
        CRUD,
        ("export_data", "import_data", "merge_records", "reassign_owner"),
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

BUSINESS_APPS = ("customers", "marketing", "sales", "service", "analytics")


@transaction.atomic
def ensure_default_roles() -> dict[str, Role]:
    """Create (or complete) the standard roles; idempotent, safe on every start."""
    from django.core.management import call_command  # noqa: F401 - permissions exist after migrate

    business = Permission.objects.filter(content_type__app_label__in=BUSINESS_APPS)
    specials = Permission.objects.filter(
        content_type__app_label="system", content_type__model="role"
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
        perms = list(business.filter(codename__regex=rf"^({'|'.join(actions)})_"))
        if special == "*":
            perms += list(Permission.objects.all())
        else:
            perms += list(specials.filter(codename__in=special))
        role.permissions.add(*perms)
        roles[code] = role
    return roles


def set_role_scope(
    *, role: Role, object_type: str, view: DataScope, edit: DataScope
) -> RoleDataScope:
    if DataScope.rank(edit) > DataScope.rank(view):
        edit = view
    scope, _c = RoleDataScope.objects.update_or_create(
        role=role, object_type=object_type, defaults={"view_scope": view, "edit_scope": edit}
    )
    return scope


__all__ = [
    "CRUD",
    "BUSINESS_APPS",
    "DEFAULT_ROLES",
    "DefaultRole",
    "ensure_default_roles",
    "set_role_scope",
]
