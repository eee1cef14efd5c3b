"""System set-up object types: departments (a tree) and employees (the user model)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kehu.core.registry import ObjectType, Page, register, register_page

from ..filters.org import DepartmentFilterSet, EmployeeFilterSet
from ..forms.org import DepartmentForm, EmployeeForm
from ..models import Department, User

DEPARTMENT = register(
    ObjectType(
        model=Department,
        namespace="system",
        filterset=DepartmentFilterSet,
        form=DepartmentForm,
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
