"""System set-up API: departments (/api/departments/) and employees (/api/users/)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rest_framework import permissions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from kehu.core.api import BaseModelSerializer, RestrictedModelViewSet
from kehu.core.permissions import SpecialPermission

from .. import actions
from ..models import Department, User
from ..object_types.org import DEPARTMENT, EMPLOYEE


class DepartmentSerializer(BaseModelSerializer):
    class Meta:
        model = Department
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "parent",
            "path",
            "depth",
            "is_active",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["path", "depth", "created_at", "updated_at"]


class DepartmentViewSet(RestrictedModelViewSet):
    """Departments; a new ``parent`` moves the whole subtree (cycles refused)."""

    serializer_class = DepartmentSerializer
    object_type = DEPARTMENT


class EmployeeSerializer(BaseModelSerializer):
    password = serializers.CharField(
        write_only=True, required=False, allow_blank=True, style={"input_type": "password"}
    )
    skills = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "employee_no",
            "department",
            "manager",
            "title",
            "phone",
            "email",
            "roles",
            "skills",
            "is_active",
            "left_on",
            "password",
            "created_at",
            "updated_at",
            "version",
        ]
        # Leaving goes through the deactivate action (handover of owned records).
        read_only_fields = ["is_active", "left_on", "created_at", "updated_at"]

    def get_skills(self, obj) -> dict[str, int]:
        return {s.skill: s.level for s in obj.skills.all()}


class ManageUsersPermission(permissions.BasePermission):
    message = _("Managing users requires the “Manage users” permission.")

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return request.user.has_perm(SpecialPermission.MANAGE_USERS)


class EmployeeViewSet(RestrictedModelViewSet):
    """Employees: reading needs ``view_user``; any change also needs ``manage_users``.

    Employees are never deleted (403); ``POST …/deactivate/`` records that one has left.
    """

    serializer_class = EmployeeSerializer
    object_type = EMPLOYEE

    def get_permissions(self):
        return [*super().get_permissions(), ManageUsersPermission()]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("roles", "skills")

    def _save(self, serializer, write) -> None:
        """Through the type's action (``write``); its password error under the API's field
        name, and the answer read again with roles and skills."""
        try:
            write(serializer)
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "password1" in exc.error_dict:
                raise serializers.ValidationError(
                    {"password": exc.error_dict["password1"][0].messages}
                ) from exc
            raise
        saved = serializer.instance
        serializer.instance = User.objects.prefetch_related("roles", "skills").get(pk=saved.pk)

    def perform_create(self, serializer):
        self._save(serializer, super().perform_create)

    def perform_update(self, serializer):
        self._save(serializer, super().perform_update)

    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        employee = self.get_object()
        left_on = serializers.DateField().to_internal_value(request.data.get("left_on"))
        ids = request.data.get("handover_to") or []
        colleagues = list(User.objects.filter(pk__in=ids))
        if len(colleagues) != len(set(ids)):
            raise serializers.ValidationError({"handover_to": [_("Unknown employee.")]})
        actions.deactivate_employee(
            employee=employee, left_on=left_on, handover_to=colleagues, by=request.user
        )
        employee.refresh_from_db()
        return Response(self.get_serializer(employee).data)


def register(router) -> None:
    """Register this area's viewsets on the API router."""
    router.register("departments", DepartmentViewSet, basename="department")
    router.register("users", EmployeeViewSet, basename="user")
