"""System set-up (系统初始设置): departments, employees (the user model), roles and data scopes."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, Permission, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.models import BaseModel
from kehu.core.permissions import SPECIAL_PERMISSION_LABELS, DataScope


class DepartmentQuerySet(models.QuerySet):
    def subtree_of(self, department: Department) -> DepartmentQuerySet:
        return self.filter(path__startswith=department.path)


class Department(BaseModel):
    """A node in the department tree (部门), any depth; ``path`` makes subtree queries one lookup."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=30, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.code:
            raise ValueError("Department.code is required")
        self.depth = self.parent.depth + 1 if self.parent_id else 0
        self.path = f"{self.parent.path if self.parent_id else ''}{self.code}/"
        super().save(*args, **kwargs)


class User(AbstractUser, BaseModel):
    """Every CRM user is an employee (员工): in a department, with a manager and roles."""

    display_name = models.CharField(_("name"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    manager = models.ForeignKey(
        "self",
        verbose_name=_("manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
    )
    title = models.CharField(_("title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    roles = models.ManyToManyField(
        "Role", verbose_name=_("roles"), blank=True, related_name="users"
    )
    failed_logins = models.PositiveSmallIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)

    objects = UserManager()

    audit_exclude = ("updated_at", "updated_by", "version", "password", "last_login")

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Role(BaseModel):
    """A role: functional and special permissions plus a data scope per object type."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    permissions = models.ManyToManyField(
        Permission, verbose_name=_("permissions"), blank=True, related_name="roles"
    )
    default_view_scope = models.CharField(
        _("default view scope"), max_length=12, choices=DataScope.choices, default=DataScope.OWN
    )
    default_edit_scope = models.CharField(
        _("default edit scope"), max_length=12, choices=DataScope.choices, default=DataScope.OWN
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]
        permissions = list(SPECIAL_PERMISSION_LABELS.items())

    def __str__(self) -> str:
        return self.name


class RoleDataScope(models.Model):
    """The data scope (数据权限) of a role for one object type; edit never wider than view."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="data_scopes")
    object_type = models.CharField(_("object type"), max_length=100)
    view_scope = models.CharField(_("view scope"), max_length=12, choices=DataScope.choices)
    edit_scope = models.CharField(_("edit scope"), max_length=12, choices=DataScope.choices)

    class Meta:
        verbose_name = _("data scope")
        verbose_name_plural = _("data scopes")
        constraints = [
            models.UniqueConstraint(fields=["role", "object_type"], name="role_object_type_once")
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.object_type}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if DataScope.rank(self.edit_scope) > DataScope.rank(self.view_scope):
            raise ValidationError(
                {"edit_scope": _("The edit scope cannot be wider than the view scope.")}
            )


def active_users() -> models.QuerySet[User]:
    return User.objects.filter(is_active=True)


__all__ = ["Department", "User", "Role", "RoleDataScope", "Q"]
