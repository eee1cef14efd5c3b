"""System set-up object_types: roles, and the role editor / effective-permissions pages."""

from django.utils.translation import gettext_lazy as _

from kehu.core.permissions import SpecialPermission
from kehu.core.registry import ObjectType, Page, register, register_page
from kehu.core.saving import record_actions

from ..filters.roles import RoleFilterSet
from ..forms.roles import RoleForm
from ..models import Role


def _save_role(obj: Role, *, user) -> Role:
    from ..actions import save_role

    return save_role(role=obj, actor=user)


def _delete_role(*, user, obj: Role) -> None:
    """Refused while employees or departments hold the role."""
    from ..actions import delete_role

    delete_role(role=obj, actor=user)


ROLE = register(
    ObjectType(
        model=Role,
        namespace="system",
        extra_perms=(SpecialPermission.MANAGE_USERS,),
        filterset=RoleFilterSet,
        form=RoleForm,
        actions=record_actions(Role, _save_role, delete=_delete_role),
        columns=["name", "description"],
        sortable=["name"],
        default_sort="name",
        search_fields=["name", "description"],
        export_fields=["name", "description", "default_view_scope", "default_edit_scope"],
        detail_fields=["name", "description", "default_view_scope", "default_edit_scope"],
    )
)

register_page(
    Page(
        module="system",
        label=_("Effective permissions"),
        url_name="system:effective_permissions",
        perm=SpecialPermission.MANAGE_USERS,
        icon="bi-person-check",
        order=40,
    )
)
