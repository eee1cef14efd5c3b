"""System set-up object types: departments (a tree) and employees (the user model)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kehu.core.registry import ObjectType, Page, register, register_page
from kehu.core.saving import record_actions

from ..filters.org import DepartmentFilterSet, EmployeeFilterSet
from ..forms.org import DepartmentForm, EmployeeForm
from ..models import Department, User


def _save_department(obj: Department, *, user) -> Department:
    """A new parent moves the subtree, deactivation follows its rules (``save_department``)."""
    from ..actions import save_department

    return save_department(department=obj)


def _save_employee(obj: User, *, user, password=None, roles=None) -> User:
    """An initial password (validated), the roles held (audited) — ``save_employee``."""
    from ..actions import save_employee

    return save_employee(
        employee=obj, password=password or None, roles=list(roles) if roles is not None else None
    )


DEPARTMENT = register(
    ObjectType(
        model=Department,
        namespace="system",
        filterset=DepartmentFilterSet,
        form=DepartmentForm,
        actions=record_actions(Department, _save_department),
        columns=["code", "name", "kind", "parent", "is_active"],
        sortable=["name", "code"],
        default_sort="code",
        search_fields=["name", "code"],
        export_fields=["code", "name", "kind", "parent", "path", "depth", "is_active"],
        select_related=["parent"],
        api_select_related=[],
        detail_fields=["code", "name", "kind", "parent", "is_active"],
    )
)

EMPLOYEE = register(
    ObjectType(
        model=User,
        namespace="system",
        filterset=EmployeeFilterSet,
        form=EmployeeForm,
        actions=record_actions(User, _save_employee, extra=("password",)),
        columns=["username", "display_name", "department", "title", "phone", "is_active"],
        sortable=["username", "display_name"],
        default_sort="username",
        search_fields=["display_name", "username", "phone", "employee_no"],
        export_fields=[
            "username",
            "display_name",
            "employee_no",
            "department",
            "manager",
            "title",
            "phone",
            "email",
            "is_active",
            "left_on",
        ],
        select_related=["department"],
        api_select_related=[],
        detail_fields=[
            "username",
            "display_name",
            "employee_no",
            "department",
            "manager",
            "title",
            "phone",
            "email",
            "is_active",
            "left_on",
            "last_login",
        ],
        # People are deactivated when they leave (their records are handed over), never deleted.
        deletable=False,
    )
)

register_page(
    Page(
        module="system",
        label=_("Department tree"),
        url_name="system:department_tree",
        perm="system.view_department",
        icon="bi-diagram-3",
        order=20,
    )
)

register_page(
    Page(
        module="system",
        label=_("Handover"),
        url_name="system:handover",
        perm="system.manage_users",
        icon="bi-arrow-left-right",
        order=25,
    )
)
